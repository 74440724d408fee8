import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";

/** A data folder this process holds: only it runs a server on the folder until release(). */
export interface DataDirLock {
  dir: string;
  release(): void;
}

const LOCK_FILE = "specfleet.lock";

/**
 * Takes `dir` (created if missing) for this process, so two fleets never run a server on one
 * data folder at once (two redis-servers appending to one file corrupt it). The lock is a file
 * holding the owner's pid: one left by a process that died (SIGKILL, a power cut) is taken over.
 * When a live process holds it, `heldBy` names that process.
 */
export function lockDataDir(dir: string, pid = process.pid): DataDirLock | { heldBy: number } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(pid));
      closeSync(fd);
      return { dir, release: () => releaseIfOurs(path, pid) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = ownerOf(path);
      if (owner !== null && owner !== pid && isRunning(owner)) return { heldBy: owner };
      // Stale (its process is gone) or unreadable: take it over.
      unlinkSync(path);
    }
  }
  return { heldBy: ownerOf(path) ?? -1 };
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function releaseIfOurs(path: string, pid: number): void {
  if (ownerOf(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
