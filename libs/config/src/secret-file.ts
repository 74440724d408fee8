import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { z } from "zod";

/**
 * A secret read from a file at boot. Logging it (or a config holding it) shows where it came
 * from, never its value: `toString`, `toJSON` and `util.inspect` (what pino and console use) all
 * give `[secret from <path>]`; `reveal()` is the one way to the value.
 */
export class FileSecret {
  readonly #value: string;

  constructor(
    readonly path: string,
    value: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `[secret from ${this.path}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * A variable naming a file whose content (trimmed of surrounding white space) is a secret: read
 * once, while the configuration is parsed, so a missing, unreadable or empty file stops the
 * process with a message naming the variable (parseConfig), before anything connects.
 */
export const secretFileVar = (what: string) =>
  z.string().transform((path, ctx) => {
    try {
      const value = readFileSync(path, "utf8").trim();
      if (value !== "") return new FileSecret(path, value);
      ctx.addIssue({ code: "custom", message: `the file holding ${what} is empty` });
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `cannot read ${what} from it (${reasonOf(error)})` });
    }
    return z.NEVER;
  });

/** A variable naming a file that is not secret but must be readable at boot (a CA certificate). */
export const textFileVar = (what: string) =>
  z.string().transform((path, ctx) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `cannot read ${what} from it (${reasonOf(error)})` });
      return z.NEVER;
    }
  });

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
