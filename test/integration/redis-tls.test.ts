import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig, redisEndpointOf, registryConfigSchema } from "#config";
import { acceptsConnections, ensureBinary, freePort, ManagedProcess, silentLog, waitUntil } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { makeFleetCertificates, newRedisPassword, redisAclFile } from "#security";

const log = createLogger("redis-tls-test", "silent");

/** An actor reaching Redis over TLS (`rediss://`, REDIS_TLS_CA) as its ACL user, configured as in production. */
void describe("Redis over TLS with the fleet's ACL (real redis-server)", () => {
  let dir: string;
  let server: ManagedProcess;
  let port: number;
  const password = newRedisPassword();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "specfleet-redis-tls-"));
    const { ca, server: pair } = await makeFleetCertificates();
    const file = (name: string, content: string) => {
      writeFileSync(join(dir, name), content, { mode: 0o600 });
      return join(dir, name);
    };
    file("ca.pem", ca.cert);
    port = await freePort();
    const args = ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
    args.push("--tls-cert-file", file("server.pem", pair.cert), "--tls-key-file", file("server.key", pair.key));
    args.push("--tls-ca-cert-file", join(dir, "ca.pem"), "--tls-auth-clients", "no");
    args.push("--aclfile", file("users.acl", redisAclFile({ registry: password })));
    file("registry.password", password);
    server = await ManagedProcess.start({
      name: "redis-server",
      command: await ensureBinary("redis-server", silentLog),
      args,
    });
    await waitUntil("redis-server over TLS", () => acceptsConnections("127.0.0.1", port), { timeoutMs: 15_000 });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("a rediss:// URL with REDIS_TLS_CA and the role's password file reads and writes its keys", async () => {
    const config = parseConfig(registryConfigSchema, {
      REDIS_URL: `rediss://127.0.0.1:${port}`,
      REDIS_TLS_CA: join(dir, "ca.pem"),
      REDIS_USERNAME: "registry",
      REDIS_PASSWORD_FILE: join(dir, "registry.password"),
    });
    const redis = connectRedis(redisEndpointOf(config), "registry", log);
    try {
      await redis.hset("specfleet:registry:workers", "d1", "{}");
      assert.equal(await redis.hget("specfleet:registry:workers", "d1"), "{}");
      await assert.rejects(redis.get("specfleet:journal:s1:header"), /NOPERM/);
    } finally {
      await closeRedis(redis);
    }
  });
});
