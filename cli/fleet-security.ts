import { join } from "node:path";
import type { LocalFleet } from "#infra";

/** How `fleet up` secures the fleet it starts (docs/security.md). */
export interface FleetSecurity {
  /** Credentials and permissions on NATS, a user per role on Redis. */
  secure: boolean;
  /** TLS to NATS with the fleet's own CA (secure only). */
  tls: boolean;
  /** Where the secrets are kept across starts (secure only). */
  secretsDir: string | undefined;
  /** Why the fleet is open, when it is: said loudly at start. */
  openBecause: string | null;
}

/**
 * Secured unless `--insecure`, or unless the fleet joins a NATS or Redis it did not start (their
 * operator secures those). The secrets stay in `secretsDir` so that a fleet started again finds its
 * Redis passwords (the ACL users of the kept append-only file) and its NATS authority.
 */
export function fleetSecurity(
  args: { insecure: boolean; tls: boolean; natsUrl?: string; redisUrl?: string },
  secretsDir: string,
): FleetSecurity {
  const external = args.natsUrl !== undefined || args.redisUrl !== undefined;
  if (args.tls && args.insecure) throw new Error("--tls and --insecure: choose one");
  if (args.tls && external)
    throw new Error("--tls needs the fleet's own nats-server: give no --nats-url or --redis-url (NATS_URL, REDIS_URL)");
  if (args.insecure) return { secure: false, tls: false, secretsDir: undefined, openBecause: "--insecure was given" };
  if (external)
    return {
      secure: false,
      tls: false,
      secretsDir: undefined,
      openBecause:
        "it joins a NATS or Redis it did not start (their credentials are their operator's: docs/security.md)",
    };
  return { secure: true, tls: args.tls, secretsDir, openBecause: null };
}

/** The loud warning of an open fleet: anyone who can reach its NATS or Redis can change answers. */
export function openFleetWarning(security: FleetSecurity): string[] {
  if (security.openBecause === null) return [];
  return [
    "",
    "!!! WARNING: this fleet is OPEN: " + security.openBecause + ".",
    "!!! NATS and Redis take no credentials: any process that reaches them can read every prompt and",
    "!!! completion, replace what users receive, register fake workers and drain real ones.",
    "!!! Use it for comparisons on a machine you alone use; without --insecure the fleet is secured.",
    "",
  ];
}

/**
 * The banner's security lines: where the secrets are and how to reach NATS and Redis as `admin`
 * (paths only: no secret is ever printed, not even in part).
 */
export function securityLines(fleet: LocalFleet, security: FleetSecurity): string[] {
  const secrets = fleet.secrets;
  if (secrets === null) return ["  security OPEN (no credentials on NATS or Redis): see the warning above"];
  const admin = fleet.natsEndpoint("admin");
  return [
    `  security a credential and permissions per identity on NATS${security.tls ? ", TLS" : ""}, a user per role on Redis (docs/security.md)`,
    `  secrets  ${secrets.dir}   (mode 0700, kept for the next start; never printed)`,
    `  as admin NATS_URL=${fleet.natsUrl} NATS_CREDS=${admin.credsFile ?? "?"}` +
      (admin.tlsCaFile === undefined ? "" : ` NATS_TLS_CA=${admin.tlsCaFile}`),
    `           REDIS_USERNAME=admin REDIS_PASSWORD_FILE=${join(secrets.dir, "redis", "admin.password")}`,
  ];
}
