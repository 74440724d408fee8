import { readFileSync } from "node:fs";
import type { ConnectionOptions, NatsConnection } from "nats";
import type { ClientOptions } from "ws";

/** TLS of a `wss://` connection: a private CA, a client certificate for mutual TLS (files). */
export interface WebSocketTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Whether a NATS URL (or the first of a comma-separated list) is a WebSocket one. */
export function isWebSocketUrl(url: string): boolean {
  return /^\s*wss?:\/\//i.test(url);
}

/**
 * The same NatsConnection over WebSocket (`ws://`, `wss://`): nats.ws shares nats.js's client
 * core (protocol, authenticators, status, errors) and needs only a W3C WebSocket, which the `ws`
 * package provides in Node 20. Its TLS settings (a private CA, a client certificate) go to the
 * socket through nats.ws's `wsFactory`, per connection, with no global to patch; nats.ws refuses
 * the `tls` option of the TCP client, so `options` must not carry it.
 */
export async function connectWebSocket(options: ConnectionOptions, tls: WebSocketTls): Promise<NatsConnection> {
  const [{ connect }, { WebSocket }] = await Promise.all([import("nats.ws"), import("ws")]);
  const socketOptions: ClientOptions = {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
  };
  const wsFactory = (url: string) =>
    Promise.resolve({
      socket: new WebSocket(url, socketOptions) as unknown as globalThis.WebSocket,
      encrypted: url.toLowerCase().startsWith("wss://"),
    });
  // nats.ws's ConnectionOptions and NatsConnection are nats.js's, from its own copy of the
  // shared client core: the same shapes, declared twice.
  const nc = await connect({ ...(options as object), wsFactory } as Parameters<typeof connect>[0]);
  return nc as unknown as NatsConnection;
}
