import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FleetSecrets, keptSecret } from "#infra";
import { NatsAuthority, type FleetRole } from "#security";

/** A Kubernetes Secret as `kubectl apply` takes it (values in `stringData`). */
export interface SecretManifest {
  apiVersion: "v1";
  kind: "Secret";
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  type: string;
  stringData: Record<string, string>;
}

export interface ClusterSecretsOptions {
  /** The chart's fullname (`helm install <release>` gives `<release>-specfleet`, or the release when it contains "specfleet"). */
  prefix: string;
  namespace?: string;
  /** Where the authority, passwords and tokens are kept between runs (0700). */
  stateDir: string;
  /** NATS server names for a certificate signed by a CA made here; none: TLS comes from elsewhere (cert-manager). */
  tlsHosts?: readonly string[];
}

/**
 * The identities that enroll in-cluster workers: a pod holding one asks the registry for its own
 * credential at start (NATS_ENROLL_CREDS), bound to this role, and keeps it in memory only.
 */
const ENROLLERS = { verifier: "enroll-verifier", drafter: "enroll-drafter" } as const;

/**
 * The Secrets helm/specfleet consumes by name (docs/deploy.md), one per actor so that a pod mounts
 * only its own: NATS credentials per control-plane identity, the enrollment credentials of worker
 * pools, the registry's authority, Redis passwords and ACL file, the admin and viewer tokens, and
 * TLS when asked. Everything is kept in `stateDir` and made again from it on the next run, so
 * running it again (an upgrade, a lost manifest) keeps the fleet's authority, passwords and tokens.
 */
export async function clusterSecrets(options: ClusterSecretsOptions): Promise<SecretManifest[]> {
  const tls = options.tlsHosts !== undefined && options.tlsHosts.length > 0;
  const state = await FleetSecrets.prepare(options.stateDir, { tls, tlsHosts: options.tlsHosts });
  const authority = NatsAuthority.fromJson(readFileSync(state.authorityFile, "utf8"));
  const accounts = await authority.serverAccounts();
  const creds = async (identity: string, role: FleetRole) => (await authority.issue(identity, role)).creds;
  const redis = (role: Parameters<FleetSecrets["redisPasswordFile"]>[0]) =>
    readFileSync(state.redisPasswordFile(role), "utf8").trim();
  const adminToken = keptSecret(join(state.dir, "admin-token"));
  const viewerToken = keptSecret(join(state.dir, "viewer-token"));
  const secret = (component: string, data: Record<string, string>, type = "Opaque"): SecretManifest => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `${options.prefix}-${component}`,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      labels: {
        "app.kubernetes.io/name": "specfleet",
        "app.kubernetes.io/instance": options.prefix,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "specfleet-secrets",
      },
    },
    type,
    stringData: data,
  });
  const manifests = [
    secret("nats-accounts", {
      "resolver.conf": [
        "# Made by `specfleet secrets init`: the operator and the accounts this NATS trusts.",
        `operator: ${accounts.operatorJwt}`,
        `system_account: ${accounts.system.publicKey}`,
        "resolver_preload: {",
        `  ${accounts.system.publicKey}: ${accounts.system.jwt}`,
        `  ${accounts.fleet.publicKey}: ${accounts.fleet.jwt}`,
        "}",
        "",
      ].join("\n"),
    }),
    secret("registry", {
      "nats.creds": await creds("registry", "registry"),
      "redis-password": redis("registry"),
      "nats-authority.json": authority.toJson(),
    }),
    secret("scheduler", { "nats.creds": await creds("scheduler", "scheduler"), "redis-password": redis("scheduler") }),
    secret("gateway", {
      "nats.creds": await creds("gateway", "gateway"),
      "redis-password": redis("gateway"),
      "admin-token": adminToken,
      "webhook-secret": keptSecret(join(state.dir, "webhook-secret")),
    }),
    secret("dashboard", {
      "nats.creds": await creds("dashboard", "dashboard"),
      "admin-token": adminToken,
      "viewer-token": viewerToken,
    }),
    secret("verifier", {
      "enroll.creds": await creds(ENROLLERS.verifier, "enroller"),
      "redis-password": redis("verifier"),
    }),
    secret("drafter", { "enroll.creds": await creds(ENROLLERS.drafter, "enroller") }),
    secret("redis", { "users.acl": state.redisAcl().file, "admin-password": redis("admin") }),
    secret("admin", { "nats.creds": await creds("admin", "admin"), "redis-password": redis("admin") }),
  ];
  if (state.tls !== null)
    manifests.push(
      secret(
        "nats-tls",
        {
          "tls.crt": readFileSync(state.tls.certFile, "utf8"),
          "tls.key": readFileSync(state.tls.keyFile, "utf8"),
          "ca.crt": readFileSync(state.tls.caFile, "utf8"),
        },
        "kubernetes.io/tls",
      ),
    );
  return manifests;
}
