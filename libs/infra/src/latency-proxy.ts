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
export async function startLatencyProxy(upstreamHost: string, upstreamPort: number, initial: LatencyProfile, random: () => number = Math.random): Promise<LatencyProxy> {
  let profile = initial;
  const sockets = new Set<Socket>();
  const delay = () => profile.delayMs + (profile.jitterMs ? random() * profile.jitterMs : 0);

  const pipeDelayed = (from: Socket, to: Socket) => {
    let lastDue = 0;
    from.on("data", (chunk) => {
      const due = Math.max(Date.now() + delay(), lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
    from.on("end", () => setTimeout(() => to.end(), Math.max(0, lastDue - Date.now())));
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
