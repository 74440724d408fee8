import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pino from "pino";
import { parseCreds } from "@nats-io/jwt";
import { CredentialIssue, CredentialList, ENROLLER_IDENTITIES, type DeviceRole } from "#contracts";
import {
  makeFleetCertificates,
  NatsAuthority,
  natsServerConfig,
  newRedisPassword,
  redisAclFile,
  REDIS_ROLES,
  type FleetRole,
  type NatsEdgeListeners,
  type RedisRole,
  type ServerAccounts,
} from "#security";
import { ContractBus, type NatsEndpoint } from "#transport";
import type { RedisAclOptions } from "./servers.js";
import type { ServiceActor } from "./service-process.js";

/** The control plane's identities, each with a credential the launcher makes itself (the operator's role). */
const CONTROL_PLANE: ReadonlyArray<FleetRole & ServiceActor> = ["gateway", "scheduler", "registry", "dashboard"];

/**
 * Every secret of a local fleet, made by the launcher so that `npm start` needs no set-up
 * (docs/security.md): the NATS authority (operator and account seeds), a credential per
 * control-plane identity, `admin` and the enrollment identities, one per worker issued by the fleet's own registry (so an
 * operator lists and revokes them like any device's), Redis passwords per role, and TLS
 * certificates on request. Files are mode 0600 in a folder only its owner may read; nothing is
 * printed. A folder used again (`.cache/fleet-secrets`) keeps its authority and passwords.
 */
export class FleetSecrets {
  private constructor(
    readonly dir: string,
    private readonly accounts: ServerAccounts,
    readonly tls: { caFile: string; certFile: string; keyFile: string } | null,
    private readonly redisPasswords: Record<RedisRole, string>,
  ) {}

  /**
   * `tls`: a CA and a NATS server certificate, for `tlsHosts` (names and addresses; loopback's
   * by default), kept when the folder already has them.
   */
  static async prepare(
    dir: string,
    options: { tls?: boolean; tlsHosts?: readonly string[] } = {},
  ): Promise<FleetSecrets> {
    const root = resolve(dir);
    for (const sub of ["", "creds", "redis", "tls"]) mkdirSync(join(root, sub), { recursive: true, mode: 0o700 });
    chmodSync(root, 0o700);
    const authorityFile = join(root, "nats-authority.json");
    const authority = existsSync(authorityFile)
      ? NatsAuthority.fromJson(readFileSync(authorityFile, "utf8"))
      : NatsAuthority.generate();
    writeSecret(authorityFile, authority.toJson());
    const passwords = Object.fromEntries(
      [...REDIS_ROLES, "admin" as const].map((role) => [role, keptSecret(join(root, "redis", `${role}.password`))]),
    ) as Record<RedisRole, string>;
    const secrets = new FleetSecrets(
      root,
      await authority.serverAccounts(),
      options.tls ? await tlsFiles(join(root, "tls"), options.tlsHosts) : null,
      passwords,
    );
    for (const identity of [...CONTROL_PLANE, "admin" as const])
      writeSecret(secrets.credsFile(identity), (await authority.issue(identity, identity)).creds);
    // Enrollment (`credsFile("enroll-verifier")` as NATS_ENROLL_CREDS): a worker gets its own credential from the registry.
    for (const identity of ENROLLER_IDENTITIES)
      writeSecret(secrets.credsFile(identity), (await authority.issue(identity, "enroller")).creds);
    return secrets;
  }

  get authorityFile(): string {
    return join(this.dir, "nats-authority.json");
  }

  credsFile(identity: string): string {
    return join(this.dir, "creds", `${identity}.creds`);
  }

  /** The file holding `role`'s Redis password. */
  redisPasswordFile(role: RedisRole): string {
    return join(this.dir, "redis", `${role}.password`);
  }

  /** nats-server's configuration, its account resolver in `serverDir`; `edge`: listeners for edge drafters. */
  natsConfig(serverDir: string, edge?: NatsEdgeListeners): string {
    const tls = this.tls === null ? undefined : { certFile: this.tls.certFile, keyFile: this.tls.keyFile };
    return natsServerConfig(this.accounts, { resolverDir: join(serverDir, "jwt"), tls, edge });
  }

  redisAcl(): RedisAclOptions {
    return {
      file: redisAclFile(this.redisPasswords),
      ready: { username: "admin", password: this.redisPasswords.admin },
    };
  }

  /** How a tool or test reaches this fleet's NATS as `identity` (`admin` may do anything). */
  natsEndpoint(url: string, identity = "admin"): NatsEndpoint {
    return { url, credsFile: this.credsFile(identity), tlsCaFile: this.tls?.caFile };
  }

  /** The credentials a service of the fleet starts with: its NATS user, its Redis user, the CA. */
  serviceEnv(name: string, actor: ServiceActor): Record<string, string> {
    const env: Record<string, string> = { NATS_CREDS: this.credsFile(name) };
    if (this.tls !== null) env.NATS_TLS_CA = this.tls.caFile;
    if (actor === "registry") env.NATS_AUTHORITY_FILE = this.authorityFile;
    const redisRole: RedisRole | null =
      actor === "verify-worker"
        ? "verifier"
        : actor === "gateway" || actor === "scheduler" || actor === "registry"
          ? actor
          : null;
    if (redisRole !== null) {
      env.REDIS_USERNAME = redisRole;
      env.REDIS_PASSWORD_FILE = this.redisPasswordFile(redisRole);
    }
    return env;
  }

  /**
   * Credentials for the fleet's workers, issued by its running registry (the credential
   * authority) as a device's would be, and written where their services look. A worker whose
   * file holds a credential the registry still has in force for its role keeps it (a fleet
   * started again on its kept secrets adds no revocation).
   */
  async issueWorkers(natsUrl: string, workers: ReadonlyArray<{ name: string; role: DeviceRole }>): Promise<void> {
    if (workers.length === 0) return;
    const bus = await ContractBus.connect(this.natsEndpoint(natsUrl), "admin", pino({ level: "silent" }));
    try {
      const now = Date.now();
      const inForce = (await bus.request(CredentialList, "", {}, 10_000)).credentials.filter(
        (c) => c.revokedAt === null && (c.expiresAt === null || c.expiresAt > now),
      );
      for (const worker of workers) {
        const kept = await publicKeyIn(this.credsFile(worker.name));
        if (inForce.some((c) => c.publicKey === kept && c.deviceId === worker.name && c.role === worker.role)) continue;
        const reply = await bus.request(
          CredentialIssue,
          "",
          { deviceId: worker.name, role: worker.role, note: "local fleet" },
          10_000,
        );
        if (!reply.ok)
          throw new Error(`the registry would not issue ${worker.name}'s credential: ${reply.error.message}`);
        writeSecret(this.credsFile(worker.name), reply.creds);
      }
    } finally {
      await bus.drain();
    }
  }
}

/** The user public key of a `.creds` file, or null when there is none (or it cannot be read). */
async function publicKeyIn(file: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  try {
    return (await parseCreds(readFileSync(file))).uc.sub;
  } catch {
    return null;
  }
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The secret kept in `path`, or a new random one written there (0600) when there is none. */
export function keptSecret(path: string): string {
  if (existsSync(path)) {
    const kept = readFileSync(path, "utf8").trim();
    if (kept !== "") return kept;
  }
  const password = newRedisPassword();
  writeSecret(path, password);
  return password;
}

async function tlsFiles(
  dir: string,
  hosts?: readonly string[],
): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const files = {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server-key.pem"),
  };
  if (Object.values(files).every((file) => existsSync(file))) return files;
  const { ca, server } = await makeFleetCertificates(hosts);
  writeSecret(files.caFile, ca.cert);
  writeSecret(join(dir, "ca-key.pem"), ca.key);
  writeSecret(files.certFile, server.cert);
  writeSecret(files.keyFile, server.key);
  return files;
}
