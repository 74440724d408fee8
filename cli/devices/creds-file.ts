import { rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Writes a device's `.creds` content readable by its owner only (0600), into a new file: an
 * existing one is kept (it may be another device's credential) unless `force`, which removes it
 * first, so the secret never lands in a file that keeps a wider mode.
 */
export function writeCredsFile(path: string, content: string, force: boolean): string {
  const absolute = resolve(path);
  if (force) rmSync(absolute, { force: true });
  try {
    writeFileSync(absolute, content, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new Error(`${absolute} exists: give --force to replace it, or --out another file`, { cause: error });
    throw error;
  }
  return absolute;
}
