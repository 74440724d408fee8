import type { Logger } from "#logging";

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5000;
/** How often an actor checks that the process that started it is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Last line of defence: an actor logs an unexpected rejection instead of dying, and stops
 * cleanly on SIGINT/SIGTERM, or when the process that started it is gone (no orphans: a
 * launcher killed with SIGKILL cannot stop its children itself). `shutdown` runs once; a
 * shutdown that hangs is cut short after a grace period.
 */
export function installProcessGuards(log: Logger, shutdown: () => Promise<void>): void {
  process.on("unhandledRejection", (reason) => {
    log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection");
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    shutdown()
      .catch((err: unknown) => log.error({ err: String(err) }, "shutdown failed"))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stop("parent-exited");
  }, PARENT_CHECK_MS);
  watch.unref();
}
