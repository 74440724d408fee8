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
  return `${lines.join("\n")}\n`;
}
