import type { ServerAccounts } from "./nats-authority.js";

export interface NatsServerTls {
  certFile: string;
  keyFile: string;
  /** Asks clients for a certificate signed by this CA (mutual TLS). */
  caFile?: string;
  verifyClients?: boolean;
}

export interface NatsServerConfigOptions {
  /** Where the account resolver keeps the accounts' JWTs (revocations survive a restart). */
  resolverDir: string;
  tls?: NatsServerTls;
  /** Listeners for edge drafters beyond the cluster (docs/security.md "Edge devices"). */
  edge?: NatsEdgeListeners;
}

/** A listener of nats-server's besides its client port: where, and its TLS (default: the server's). */
export interface NatsListener {
  port: number;
  /** Default: the client listener's address (`-a`, or all interfaces). */
  host?: string;
  tls?: Pick<NatsServerTls, "certFile" | "keyFile">;
}

/**
 * Where edge drafters connect: a WebSocket listener (`wss://`, through proxies and NAT like HTTPS)
 * and a leaf-node listener (an edge site's own nats-server joins with a device credential). Both
 * authenticate users with their JWT as the client port does, so a device's role permissions hold.
 */
export interface NatsEdgeListeners {
  /** Without TLS (neither here nor the server's) it is `no_tls`: for loopback tests only. */
  websocket?: NatsListener;
  leafnodes?: NatsListener;
}

/**
 * nats-server's configuration for a secured fleet (docs/security.md): operator mode, the
 * system and fleet accounts preloaded into a `full` resolver (so an account update with new
 * revocations can be pushed at run time), TLS when certificates are given, no JetStream.
 * Listen address and port are the server's command line.
 */
export function natsServerConfig(accounts: ServerAccounts, options: NatsServerConfigOptions): string {
  const lines = [
    "# SpecFleet nats-server configuration (made by libs/security; docs/security.md)",
    `operator: ${accounts.operatorJwt}`,
    `system_account: ${accounts.system.publicKey}`,
    "resolver: {",
    "  type: full",
    `  dir: ${JSON.stringify(options.resolverDir)}`,
    "  allow_delete: false",
    '  interval: "2m"',
    "}",
    "resolver_preload: {",
    `  ${accounts.system.publicKey}: ${accounts.system.jwt}`,
    `  ${accounts.fleet.publicKey}: ${accounts.fleet.jwt}`,
    "}",
  ];
  if (options.tls) {
    lines.push("tls: {", `  cert_file: ${JSON.stringify(options.tls.certFile)}`);
    lines.push(`  key_file: ${JSON.stringify(options.tls.keyFile)}`);
    if (options.tls.caFile) lines.push(`  ca_file: ${JSON.stringify(options.tls.caFile)}`);
    if (options.tls.verifyClients) lines.push("  verify: true");
    lines.push("  timeout: 2", "}");
  }
  const serverTls = options.tls && { certFile: options.tls.certFile, keyFile: options.tls.keyFile };
  if (options.edge?.websocket) lines.push(...listenerBlock("websocket", options.edge.websocket, serverTls));
  if (options.edge?.leafnodes) lines.push(...listenerBlock("leafnodes", options.edge.leafnodes, serverTls));
  return `${lines.join("\n")}\n`;
}

/**
 * nats-server 2.9's `websocket {}` or `leafnodes {}` block. A WebSocket listener must say
 * `no_tls` to run without TLS; a leaf-node listener without `tls` simply speaks plain TCP.
 */
function listenerBlock(name: "websocket" | "leafnodes", listener: NatsListener, serverTls?: NatsListener["tls"]) {
  const tls = listener.tls ?? serverTls;
  const lines = [`${name}: {`, `  port: ${listener.port}`];
  if (listener.host !== undefined) lines.push(`  host: ${JSON.stringify(listener.host)}`);
  if (tls)
    lines.push(
      "  tls: {",
      `    cert_file: ${JSON.stringify(tls.certFile)}`,
      `    key_file: ${JSON.stringify(tls.keyFile)}`,
      "    timeout: 2",
      "  }",
    );
  else if (name === "websocket") lines.push("  no_tls: true");
  lines.push("}");
  return lines;
}

/** What an edge site's own nats-server needs to join the fleet as a leaf node with a device credential. */
export interface EdgeLeafOptions {
  /** The fleet's leaf-node listener: `tls://host:port` (or `nats-leaf://` / `nats://` without TLS). */
  hubUrl: string;
  /** The device's `.creds` file (`specfleet devices issue <id> --role drafter`). */
  credsFile: string;
  /** The CA that signed the fleet's certificate, when it is a private one. */
  caFile?: string;
}

/**
 * The configuration of a nats-server at an edge site that joins the fleet as a leaf node: its
 * local clients (the site's drafter) reach the fleet's account through one outbound connection
 * made with the device's credential, so the fleet enforces that credential's permissions on
 * everything that crosses it, and revoking it cuts the whole site off. The local listener (the
 * command line's `-a`/`-p`) has no authentication of its own: bind it to loopback.
 */
export function edgeLeafConfig(options: EdgeLeafOptions): string {
  const lines = [
    "# SpecFleet edge leaf node (made by libs/security; docs/security.md)",
    "leafnodes: {",
    "  remotes: [",
    "    {",
    `      url: ${JSON.stringify(options.hubUrl)}`,
    `      credentials: ${JSON.stringify(options.credsFile)}`,
  ];
  if (options.caFile !== undefined)
    lines.push("      tls: {", `        ca_file: ${JSON.stringify(options.caFile)}`, "        timeout: 2", "      }");
  lines.push("    }", "  ]", "}");
  return `${lines.join("\n")}\n`;
}
