import type { StoredFile } from "./file.js";

/**
 * Where the content of a file without content of its own comes from (a batch's output and error
 * files, made from the batch's results as they are read). The batches capability provides it;
 * files only knows this port, so neither imports the other's internals both ways.
 */
export interface DerivedFileContent {
  /** The file's content, line by line (each ends with "\n"). */
  lines(file: StoredFile): AsyncIterable<string>;
}

export const DERIVED_FILE_CONTENT = Symbol("DERIVED_FILE_CONTENT");
