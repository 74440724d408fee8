import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { ManagedProcess, startNats, startService, type ServerHandle, type ServiceActor } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis, type RedisRefusedError } from "#redis";
import { REDIS_ROLES } from "#security";
import { startAclRedis, type AclRedis } from "../support/redis-acl.js";

const log = createLogger("redis-acl-test", "silent");

/** Connects through libs/redis and resolves with the refusal it reports instead of reconnecting (and how many it reported). */
function refusalOf(
  endpoint: Parameters<typeof connectRedis>[0],
): Promise<{ error: RedisRefusedError; redis: Redis; reports: RedisRefusedError[] }> {
  const reports: RedisRefusedError[] = [];
  return new Promise((resolve) => {
    const redis: Redis = connectRedis(endpoint, "probe", log, {
      onRefused: (error) => {
        reports.push(error);
        resolve({ error, redis, reports });
      },
    });
  });
}

/** Resolves once the connection is closed for good (no reconnect is scheduled). */
async function ended(redis: Redis): Promise<string> {
  if (redis.status !== "end") await new Promise((resolve) => redis.once("end", resolve));
  return redis.status;
}

/** An actor's process started with these variables; its exit and what it printed. */
async function runActor(actor: ServiceActor, env: Record<string, string>): Promise<ManagedProcess> {
  return startService(actor, { env: { LOG_LEVEL: "info", METRICS_REPORT_MS: "0", ...env } });
}

/**
 * Redis with the fleet's aclfile (a user per role, `default` off): who is refused what. The
 * repositories each role runs are proved under the same ACL in services/*\/test/redis-acl-*.test.ts.
 */
void describe("Redis with an ACL user per role (real redis-server)", () => {
  let acl: AclRedis;
  let nats: ServerHandle;

  before(async () => {
    acl = await startAclRedis();
    nats = await startNats();
  });
  after(async () => {
    await acl?.stop();
    await nats?.stop();
  });

  void it("refuses a connection without a password: nothing is readable, and libs/redis says what to set", async () => {
    const raw = new Redis(acl.server.url, { maxRetriesPerRequest: 0, enableReadyCheck: false, protocol: 2 });
    raw.on("error", () => undefined);
    for (const command of [() => raw.get("specfleet:journal:s1:header"), () => raw.keys("*"), () => raw.flushall()])
      await assert.rejects(command(), /NOAUTH/);
    raw.disconnect();
    const { error, redis } = await refusalOf(acl.server.url);
    assert.equal(error.kind, "needs-password");
    assert.match(error.message, /set REDIS_USERNAME .* REDIS_PASSWORD_FILE/);
    assert.equal(await ended(redis), "end", "no reconnecting for ever");
  });

  void it("refuses a wrong password, another role's password and the default user, once, without reconnecting", async () => {
    const attempts = [
      { url: acl.server.url, username: "gateway", password: "not-the-password" },
      { url: acl.server.url, username: "gateway", password: acl.passwords.verifier },
      { url: acl.server.url, username: "drafter", password: acl.passwords.verifier },
      { url: acl.server.url, username: "default", password: "" + acl.passwords.gateway },
    ];
    for (const endpoint of attempts) {
      const { error, redis, reports } = await refusalOf(endpoint);
      assert.equal(error.kind, "wrong-credentials", endpoint.username);
      assert.match(error.message, new RegExp(`user '${endpoint.username}'.*REDIS_PASSWORD_FILE`));
      assert.doesNotMatch(error.message, new RegExp(endpoint.password), "the password is not in the message");
      assert.equal(await ended(redis), "end");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(reports.length, 1, "reported once");
    }
  });

  void it("every role: its own keys yes; FLUSHALL, CONFIG SET, KEYS, ACL, SHUTDOWN no", async () => {
    const own = {
      gateway: "specfleet:apikeys:x",
      scheduler: "specfleet:scheduler:x",
      registry: "specfleet:registry:x",
    };
    for (const role of REDIS_ROLES) {
      const redis = connectRedis(acl.endpoint(role), role, log, { failFast: true });
      try {
        if (role === "verifier") assert.equal(await redis.set("specfleet:journal:x:owner", "v"), "OK");
        else assert.equal(await redis.set(own[role], "1"), "OK");
        const refused = [
          () => redis.flushall(),
          () => redis.config("SET", "appendonly", "no"),
          () => redis.keys("*"),
          () => redis.call("ACL", "SETUSER", role, "+@all", "~*"),
          () => redis.call("SHUTDOWN", "NOSAVE"),
          () => redis.publish("specfleet", "x"),
        ];
        for (const command of refused) await assert.rejects(command(), /NOPERM/, role);
      } finally {
        await closeRedis(redis);
      }
    }
  });

  void it("the verifier cannot read API keys, jobs or files that the gateway wrote", async () => {
    const gateway = connectRedis(acl.endpoint("gateway"), "gateway", log);
    const verifier = connectRedis(acl.endpoint("verifier"), "verifier", log, { failFast: true });
    try {
      await gateway.set("specfleet:apikeys:hash:abc", "key_1");
      await gateway.hset("specfleet:job:{job_1}", "tenant", "t1");
      await gateway.set("specfleet:file:{f1}:content", "secret text");
      await assert.rejects(verifier.get("specfleet:apikeys:hash:abc"), /NOPERM/);
      await assert.rejects(verifier.hgetall("specfleet:job:{job_1}"), /NOPERM/);
      await assert.rejects(verifier.get("specfleet:file:{f1}:content"), /NOPERM/);
      await assert.rejects(verifier.scan(0), /NOPERM/);
    } finally {
      await closeRedis(gateway);
      await closeRedis(verifier);
    }
  });

  void it("an actor given a wrong password, or none, exits at boot saying what to fix", async () => {
    const wrongFile = join(acl.server.dir, "wrong.password");
    writeFileSync(wrongFile, "wrong-password\n", { mode: 0o600 });
    const cases: [ServiceActor, Record<string, string>, RegExp][] = [
      [
        "registry",
        { ...acl.env("registry"), REDIS_PASSWORD_FILE: wrongFile },
        /refused the credentials of user 'registry'/,
      ],
      // The scheduler opens its lease connection and its session connection at once; either may be refused first.
      ["scheduler", { REDIS_URL: acl.server.url }, /requires a password and scheduler(-lease)? gave none/],
    ];
    for (const [actor, env, message] of cases) {
      const child = await runActor(actor, { NATS_URL: nats.url, ...env });
      const exit = await child.exited;
      assert.equal(exit.code, 2, `${actor} exits with status 2`);
      const output = child.recentLines().join("\n");
      assert.match(output, message);
      assert.match(output, /REDIS_PASSWORD_FILE/);
      assert.doesNotMatch(output, /wrong-password/, "the password is never printed");
    }
  });

  void it("an actor given its role's password starts and serves (the registry answers ready)", async () => {
    const child = await runActor("registry", { NATS_URL: nats.url, ...acl.env("registry") });
    try {
      await child.waitForReady(30_000);
      assert.ok(child.running);
      assert.doesNotMatch(child.recentLines().join("\n"), new RegExp(acl.passwords.registry));
    } finally {
      await child.stop();
    }
  });
});
