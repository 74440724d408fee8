import { createServer, connect, type Server, type Socket } from "node:net";

export interface LatencyProfile {
  /** Added one way, in each direction, so the round trip grows by twice this. */
  delayMs: number;
  /** Uniform extra delay in [0, jitterMs) per chunk; order within a connection is kept. */
  jitterMs?: number;
}

export interface LatencyProxy {
  /** `host:port` clients connect to instead of the upstream. */
  port: number;
  url(scheme: string): string;
  /** Changes the delay for data sent from now on. */
  setProfile(profile: LatencyProfile): void;
  /**
   * A network partition for `ms`: every open connection is cut and new ones are refused until
   * it heals (clients then reconnect through the proxy).
   */
  partition(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback that delays every chunk in both directions: the network between an
 * edge actor and NATS, for a machine without `tc netem`. Chunks of one direction keep their
 * order (a chunk never leaves before the one ahead of it), as TCP would.
 */
export async function startLatencyProxy(
  upstreamHost: string,
  upstreamPort: number,
  initial: LatencyProfile,
  random: () => number = Math.random,
): Promise<LatencyProxy> {
  let profile = initial;
  const sockets = new Set<Socket>();
  const delay = () => profile.delayMs + (profile.jitterMs ? random() * profile.jitterMs : 0);

  const pipeDelayed = (from: Socket, to: Socket) => {
    // One queue and one timer per direction: chunks leave in the order they came, whatever
    // their jitter (timers of different lengths due in the same millisecond may fire in any order).
    const queue: Array<{ due: number; chunk: Buffer | null }> = [];
    let lastDue = 0;
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      while (queue.length > 0 && queue[0]!.due <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk === null) to.end();
        else to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - Date.now());
    };
    const enqueue = (chunk: Buffer | null, due: number) => {
      lastDue = due;
      queue.push({ due, chunk });
      if (timer === null) timer = setTimeout(flush, Math.max(0, queue[0]!.due - Date.now()));
    };
    from.on("data", (chunk: Buffer) => enqueue(chunk, Math.max(Date.now() + delay(), lastDue)));
    from.on("end", () => enqueue(null, Math.max(Date.now(), lastDue)));
    from.on("error", () => to.destroy());
  };

  let partitionedUntil = 0;
  const server: Server = createServer((client) => {
    if (Date.now() < partitionedUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) s.on("close", () => sockets.delete(s));
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    setProfile: (next) => {
      profile = next;
    },
    partition: async (ms) => {
      partitionedUntil = Date.now() + ms;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
