import type { Logger } from "#logging";

/** Why an actor stops: a signal, or the process that started it is gone. */
export type StopReason = "SIGINT" | "SIGTERM" | "parent-exited";

/** How long a shutdown may take before the process exits anyway (unless the actor says otherwise). */
const SHUTDOWN_GRACE_MS = 5000;
/** How often an actor checks that the process that started it is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Last line of defence: an actor logs an unexpected rejection instead of dying, and stops
 * cleanly on SIGINT/SIGTERM, or when the process that started it is gone (no orphans: a
 * launcher killed with SIGKILL cannot stop its children itself). `shutdown` runs once, told why
 * (a worker drains first on SIGTERM); a shutdown that hangs is cut short after `graceMs`.
 */
export function installProcessGuards(
  log: Logger,
  shutdown: (reason: StopReason) => Promise<void>,
  options: { graceMs?: number } = {},
): void {
  process.on("unhandledRejection", (reason) => {
    log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection");
  });
  let stopping = false;
  const stop = (signal: StopReason) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => {
      log.error({ signal }, "shutdown took too long; exiting anyway");
      process.exit(1);
    }, options.graceMs ?? SHUTDOWN_GRACE_MS);
    force.unref();
    shutdown(signal)
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
