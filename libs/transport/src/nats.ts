import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "nats";
import { isLoopbackHost } from "#config";
import type { Logger } from "#logging";
import { connectWebSocket, isWebSocketUrl } from "./nats-websocket.js";

/** Where and how a process reaches NATS: built once from its configuration (`natsEndpointOf`). */
export interface NatsEndpoint {
  /** `nats://` or `tls://` (TCP), `ws://` or `wss://` (WebSocket: an edge device behind a proxy or NAT). */
  url: string;
  /** A `.creds` file (the user JWT and its nkey seed) naming this process's identity. */
  credsFile?: string;
  /** The same, already in memory (the credential authority's own system-account user). */
  creds?: string;
  /** TLS: the CA that signed the server's certificate; a client certificate and key for mutual TLS. */
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Connect beyond loopback without a credential (a NATS that authenticates some other way). */
  insecure?: boolean;
}

/** The configuration every actor shares about NATS (libs/config `common`). */
export interface NatsConfig {
  NATS_URL: string;
  NATS_CREDS?: string;
  NATS_TLS_CA?: string;
  NATS_TLS_CERT?: string;
  NATS_TLS_KEY?: string;
  NATS_INSECURE?: boolean;
}

export function natsEndpointOf(config: NatsConfig): NatsEndpoint {
  return {
    url: config.NATS_URL,
    credsFile: config.NATS_CREDS,
    tlsCaFile: config.NATS_TLS_CA,
    tlsCertFile: config.NATS_TLS_CERT,
    tlsKeyFile: config.NATS_TLS_KEY,
    insecure: config.NATS_INSECURE,
  };
}

/** NATS refused this process's credential: at start, or later (revoked, expired). */
export class NatsCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NatsCredentialError";
  }
}

/**
 * Connects as `identity` with unlimited reconnects so a restarted nats-server is rejoined. With a
 * credential, replies come to `_INBOX.<identity>.…`, the only inboxes its permissions let it read.
 * A refused credential rejects with a NatsCredentialError that says what to fix; so does
 * `onRefused` when the server later cuts the connection for it (a revocation).
 */
export async function connectNats(
  endpoint: NatsEndpoint,
  identity: string,
  log: Logger,
  onRefused: (error: NatsCredentialError) => void = exitRefused(log),
): Promise<NatsConnection> {
  const options = connectionOptions(endpoint, identity);
  let nc: NatsConnection;
  try {
    nc = isWebSocketUrl(endpoint.url) ? await connectOverWebSocket(endpoint, options) : await connect(options);
  } catch (error) {
    throw refusalOf(endpoint, error) ?? error;
  }
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "pingTimer") continue;
      log.info({ nats: status.type, data: String(status.data ?? "") }, "nats status");
    }
  })();
  void nc.closed().then((error) => {
    const refused = error ? refusalOf(endpoint, error) : null;
    if (refused) onRefused(refused);
  });
  return nc;
}

function connectionOptions(endpoint: NatsEndpoint, identity: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: endpoint.url,
    name: identity,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    inboxPrefix: `_INBOX.${identity}`,
    // No stack captured per request (an Error built for every round and every placement): the
    // bus reports a timeout with its subject itself (RequestTimeoutError).
    noAsyncTraces: true,
  };
  if (endpoint.creds !== undefined)
    options.authenticator = credsAuthenticator(new TextEncoder().encode(endpoint.creds));
  else if (endpoint.credsFile !== undefined) options.authenticator = credsAuthenticator(readCreds(endpoint.credsFile));
  else if (!endpoint.insecure && !isLoopbackUrl(endpoint.url))
    throw new NatsCredentialError(
      `NATS_URL ${endpoint.url} is beyond loopback and this process has no credential: set NATS_CREDS to its .creds ` +
        "file (docs/security.md), or NATS_INSECURE=true for a NATS that authenticates some other way",
    );
  if (endpoint.tlsCaFile !== undefined || endpoint.tlsCertFile !== undefined || endpoint.url.startsWith("tls://"))
    options.tls = {
      ...(endpoint.tlsCaFile === undefined ? {} : { caFile: endpoint.tlsCaFile }),
      ...(endpoint.tlsCertFile === undefined ? {} : { certFile: endpoint.tlsCertFile }),
      ...(endpoint.tlsKeyFile === undefined ? {} : { keyFile: endpoint.tlsKeyFile }),
    };
  return options;
}

/** The TCP client's options, its TLS settings handed to the WebSocket instead. */
function connectOverWebSocket(endpoint: NatsEndpoint, options: ConnectionOptions): Promise<NatsConnection> {
  const { tls: _tcpOnly, ...rest } = options;
  return connectWebSocket(rest, {
    caFile: endpoint.tlsCaFile,
    certFile: endpoint.tlsCertFile,
    keyFile: endpoint.tlsKeyFile,
  });
}

function readCreds(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new NatsCredentialError(
      `NATS_CREDS=${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
        "give the path of this process's .creds file",
    );
  }
}

/** A connection error that means the credential was refused, as what to do about it; else null. */
function refusalOf(endpoint: NatsEndpoint, error: unknown): NatsCredentialError | null {
  if (error instanceof NatsCredentialError) return error;
  const code = (error as { code?: string }).code ?? "";
  if (!/AUTHORIZATION_VIOLATION|AUTHENTICATION_EXPIRED|ACCOUNT_EXPIRED/.test(code)) return null;
  const which =
    endpoint.credsFile === undefined
      ? "it needs a credential: set NATS_CREDS to this process's .creds file"
      : `the credential in NATS_CREDS=${endpoint.credsFile} was refused (revoked, expired, or for another fleet): ` +
        "issue a new one (`specfleet devices issue`, docs/security.md)";
  return new NatsCredentialError(`NATS at ${endpoint.url} refused this process (${code}): ${which}`);
}

function exitRefused(log: Logger): (error: NatsCredentialError) => void {
  return (error) => {
    log.fatal({ err: error.message }, "NATS refused this process's credential; stopping");
    process.exit(1);
  };
}

/** Whether a NATS URL (or comma-separated list) names only loopback hosts (libs/config `isLoopbackHost`). */
function isLoopbackUrl(url: string): boolean {
  return url.split(",").every((one) => {
    const withScheme = one.includes("://") ? one.trim() : `nats://${one.trim()}`;
    const host = URL.canParse(withScheme) ? new URL(withScheme).hostname.replace(/^\[(.*)\]$/, "$1") : "";
    return isLoopbackHost(host);
  });
}
