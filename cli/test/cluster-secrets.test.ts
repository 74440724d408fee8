import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseCreds } from "@nats-io/jwt";
import { clusterSecrets, type SecretManifest } from "../secrets/cluster-secrets.js";
import { manifestsYaml, natsHosts } from "../secrets/command.js";
import { parse } from "yaml";

function byName(manifests: SecretManifest[]): Map<string, Record<string, string>> {
  return new Map(manifests.map((m) => [m.metadata.name, m.stringData]));
}

async function identityOf(creds: string): Promise<{ name: string; tags: string[] }> {
  const claims = await parseCreds(new TextEncoder().encode(creds));
  return { name: claims.uc.name ?? "", tags: (claims.uc.nats as { tags?: string[] }).tags ?? [] };
}

test("secrets init makes one Secret per actor with the keys the chart mounts, each credential its own identity", async () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-secrets-"));
  try {
    const manifests = await clusterSecrets({ prefix: "fleet", namespace: "ai", stateDir: join(dir, "state") });
    const secrets = byName(manifests);
    assert.deepEqual(
      [...secrets.keys()].sort(),
      ["admin", "dashboard", "drafter", "gateway", "nats-accounts", "redis", "registry", "scheduler", "verifier"]
        .map((c) => `fleet-${c}`)
        .sort(),
    );
    for (const m of manifests) assert.equal(m.metadata.namespace, "ai");
    const keys = (name: string) => Object.keys(secrets.get(`fleet-${name}`)!).sort();
    assert.deepEqual(keys("registry"), ["nats-authority.json", "nats.creds", "redis-password"]);
    assert.deepEqual(keys("gateway"), ["admin-token", "nats.creds", "redis-password", "webhook-secret"]);
    assert.deepEqual(keys("verifier"), ["enroll.creds", "redis-password"]);
    assert.deepEqual(keys("drafter"), ["enroll.creds"]);
    for (const actor of ["registry", "scheduler", "gateway", "dashboard", "admin"])
      assert.equal((await identityOf(secrets.get(`fleet-${actor}`)!["nats.creds"]!)).name, actor);
    assert.equal((await identityOf(secrets.get("fleet-verifier")!["enroll.creds"]!)).name, "enroll-verifier");
    assert.equal((await identityOf(secrets.get("fleet-drafter")!["enroll.creds"]!)).name, "enroll-drafter");
    const acl = secrets.get("fleet-redis")!["users.acl"]!;
    for (const user of ["gateway", "scheduler", "registry", "verifier", "admin"])
      assert.match(acl, new RegExp(`^user ${user} reset on `, "m"));
    assert.match(secrets.get("fleet-nats-accounts")!["resolver.conf"]!, /^operator: ey/m);
    assert.notEqual(secrets.get("fleet-dashboard")!["admin-token"], secrets.get("fleet-dashboard")!["viewer-token"]);
    assert.equal(secrets.get("fleet-dashboard")!["admin-token"], secrets.get("fleet-gateway")!["admin-token"]);
    assert.equal(statSync(join(dir, "state")).mode & 0o777, 0o700);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("running it again keeps the fleet's authority, passwords and tokens (an upgrade), and TLS names the in-cluster NATS", async () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-secrets-"));
  try {
    const hosts = natsHosts("fleet", "ai", ["edge.example.com"]);
    assert.ok(hosts.includes("fleet-nats.ai.svc.cluster.local") && hosts.includes("edge.example.com"));
    const first = byName(await clusterSecrets({ prefix: "fleet", stateDir: join(dir, "state"), tlsHosts: hosts }));
    const second = byName(await clusterSecrets({ prefix: "fleet", stateDir: join(dir, "state"), tlsHosts: hosts }));
    assert.equal(
      second.get("fleet-registry")!["nats-authority.json"],
      first.get("fleet-registry")!["nats-authority.json"],
    );
    // The JWTs are signed again (new iat), for the same operator and accounts.
    const trusted = (conf: string) => conf.match(/^system_account: \S+|^ {2}[A-Z0-9]{56}(?=:)/gm);
    const conf = (secrets: typeof first) => secrets.get("fleet-nats-accounts")!["resolver.conf"]!;
    assert.deepEqual(trusted(conf(second)), trusted(conf(first)));
    assert.equal(trusted(conf(first))?.length, 3);
    assert.equal(second.get("fleet-redis")!["users.acl"], first.get("fleet-redis")!["users.acl"]);
    assert.equal(second.get("fleet-gateway")!["admin-token"], first.get("fleet-gateway")!["admin-token"]);
    assert.equal(second.get("fleet-nats-tls")!["ca.crt"], first.get("fleet-nats-tls")!["ca.crt"]);
    assert.match(second.get("fleet-nats-tls")!["tls.crt"]!, /BEGIN CERTIFICATE/);
    const other = byName(await clusterSecrets({ prefix: "fleet", stateDir: join(dir, "other") }));
    assert.notEqual(
      other.get("fleet-registry")!["nats-authority.json"],
      first.get("fleet-registry")!["nats-authority.json"],
    );
    assert.equal(other.get("fleet-nats-tls"), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the manifest file is one YAML document per Secret, as kubectl takes it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-secrets-"));
  try {
    const manifests = await clusterSecrets({ prefix: "fleet", stateDir: join(dir, "state") });
    const docs = manifestsYaml(manifests)
      .split(/^---\n/m)
      .filter((d) => d.trim() !== "")
      .map((d) => parse(d) as SecretManifest);
    assert.deepEqual(docs, manifests);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
