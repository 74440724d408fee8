import type { GatewayConfig } from "#config";
import { HttpApiError } from "#http";
import type { DerivedFileContent } from "./derived-content.js";
import { newFileId, type StoredFile } from "./file.js";
import type { FileListOptions, FilePage, FileStore } from "./file-store.js";

/** The part of multer's file object an upload uses (memory storage: the bytes are in `buffer`). */
export interface UploadedBlob {
  originalname: string;
  size: number;
  buffer: Buffer;
}

/** Content read from Redis per step of `GET /v1/files/{id}/content`. */
const CONTENT_STEP = 1024 * 1024;

/**
 * Files as their owners see them: uploaded, read, listed and deleted, each only by its tenant
 * (another tenant's file does not exist for it: 404).
 */
export class FilesService {
  constructor(
    private readonly config: GatewayConfig,
    private readonly store: FileStore,
    private readonly derived: DerivedFileContent,
  ) {}

  /** `POST /v1/files`: a `batch` file, kept `FILES_RETENTION_HOURS`. */
  async upload(tenant: string, blob: UploadedBlob | undefined, fields: Record<string, unknown>): Promise<StoredFile> {
    checkUploadFields(fields);
    if (blob === undefined)
      throw HttpApiError.invalid("`file` is required: send the JSONL file as the multipart field `file`", "file");
    if (blob.size === 0) throw HttpApiError.invalid("the file is empty", "file", "empty_file");
    const now = Date.now();
    const file: StoredFile = {
      id: newFileId(),
      tenant,
      filename: blob.originalname.slice(0, 255) || "upload.jsonl",
      purpose: "batch",
      bytes: blob.size,
      createdAt: now,
      expiresAt: now + this.config.FILES_RETENTION_HOURS * 3_600_000,
      derivedFrom: null,
    };
    await this.store.save(file, blob.buffer);
    return file;
  }

  /** The tenant's file, or 404. */
  async get(tenant: string, id: string): Promise<StoredFile> {
    const file = await this.store.get(id);
    if (!file || file.tenant !== tenant)
      throw new HttpApiError(404, `No such File object: ${id}`, "invalid_request_error", "file_not_found", "file_id");
    return file;
  }

  async list(tenant: string, options: FileListOptions): Promise<FilePage> {
    const page = await this.store.list(tenant, options);
    if (page === null)
      throw HttpApiError.invalid(`no file '${options.after}' to page after (it may have expired)`, "after");
    return page;
  }

  async remove(tenant: string, id: string): Promise<StoredFile> {
    const file = await this.get(tenant, id);
    await this.store.remove(file);
    return file;
  }

  /** The whole content of an upload (a batch reads its input file at once: at most `FILES_MAX_BYTES`). */
  async contentOf(file: StoredFile): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.content(file)) parts.push(typeof part === "string" ? Buffer.from(part) : part);
    return Buffer.concat(parts);
  }

  /** The file's content in pieces: an upload's bytes, or a batch's output or error lines. */
  async *content(file: StoredFile): AsyncIterable<Buffer | string> {
    if (file.derivedFrom) {
      yield* this.derived.lines(file);
      return;
    }
    for (let from = 0; from < file.bytes; from += CONTENT_STEP) {
      const part = await this.store.content(file.id, from, CONTENT_STEP);
      // The content expired between the record's read and now: stop rather than loop on nothing.
      if (part.length === 0) return;
      yield part;
    }
  }
}

/** The upload's form fields besides `file`: `purpose`, which must be `batch`. */
export function checkUploadFields(fields: Record<string, unknown>): void {
  const unknown = Object.keys(fields).filter((name) => name !== "purpose");
  if (unknown.length > 0)
    throw HttpApiError.invalid(
      `unknown field(s): ${unknown.join(", ")} (files are kept FILES_RETENTION_HOURS; only \`file\` and \`purpose\` are read)`,
      unknown[0]!,
    );
  const purpose = fields["purpose"];
  if (purpose === undefined) throw HttpApiError.invalid("`purpose` is required: 'batch'", "purpose");
  if (purpose !== "batch")
    throw HttpApiError.invalid(
      `purpose '${String(purpose)}' is not supported: this gateway keeps files for the Batch API only ('batch')`,
      "purpose",
    );
}
