import type { NatsConnection } from "nats";

/**
 * Whether a NATS connection is up now, for a readiness probe: false from a disconnect until the
 * client reconnects, and for good once it is closed. Follows the client's own status events.
 */
export function natsReadiness(nc: NatsConnection): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      else if (status.type === "reconnect") connected = true;
    }
  })();
  return () => connected && !nc.isClosed();
}
