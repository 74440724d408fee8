import type { Logger } from "#logging";

/**
 * Last line of defence: an actor logs an unexpected rejection instead of dying, and stops
 * cleanly on SIGINT/SIGTERM, or when the process that started it is gone (no orphans).
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
    const force = setTimeout(() => process.exit(1), 5000);
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
  }, 1000);
  watch.unref();
}
