import { createServer, connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A TCP port free right now on 127.0.0.1 (the OS picks it; another process may still take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port the OS assigned"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True when something accepts a TCP connection on host:port. */
export function acceptsConnections(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface WaitOptions {
  timeoutMs: number;
  /** Polled between attempts: a reason to give up early (the server exited, the user aborted). */
  giveUp?: () => string | undefined;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns true. Throws with `what` and the last reason when the time is
 * up or `giveUp` names a reason.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 50;
  for (;;) {
    const reason = options.giveUp?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (await probe()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not ready after ${options.timeoutMs} ms`);
    await sleep(interval);
  }
}
