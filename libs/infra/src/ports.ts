import { readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Where free ports are looked for: just below the kernel's ephemeral range, which outgoing
 * connections take their local ports from. A port the OS picks with listen(0) comes from that
 * range, and a client socket may take it as its source port before the server that was given it
 * binds (EADDRINUSE, seen in a test fleet of 12 processes).
 */
function portRange(): { from: number; to: number } {
  let ephemeralStart = 32768;
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    if (Number.isInteger(Number(low)) && Number(low) > 2048) ephemeralStart = Number(low);
  } catch {
    // Not Linux: the usual range.
  }
  return { from: Math.max(1024, ephemeralStart - 12_000), to: ephemeralStart };
}

const RANGE = portRange();
/** Ports this process handed out: never twice, even before their servers bind. */
const handedOut = new Set<number>();

/**
 * A TCP port free right now on every address, below the ephemeral range, not handed out before
 * by this process (another process may still take it; the OS's pick is the last resort).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  const port = await listenAndClose(0);
  handedOut.add(port);
  return port;
}

async function bindable(port: number): Promise<boolean> {
  return listenAndClose(port).then(
    () => true,
    () => false,
  );
}

/** Listens on every address at `port` (0: the OS picks), closes, and says which port it was. */
function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => {
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
