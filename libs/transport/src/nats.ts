import { connect, type NatsConnection } from "nats";
import type { Logger } from "#logging";

/** Connects with unlimited reconnects so a restarted nats-server is rejoined. */
export async function connectNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "pingTimer") continue;
      log.info({ nats: status.type, data: String(status.data ?? "") }, "nats status");
    }
  })();
  return nc;
}
