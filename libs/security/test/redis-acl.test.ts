import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { newRedisPassword, REDIS_ROLES, redisAclFile, redisAclRules, redisAclUser, type RedisRole } from "#security";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

void describe("redisAclRules", () => {
  // Each role's keys, exactly: what its repositories use (proved against a real server in
  // services/*/test/redis-acl-*.test.ts and test/integration/redis-acl.test.ts).
  const cases: [RedisRole, string[]][] = [
    ["verifier", ["specfleet:journal:*"]],
    ["registry", ["specfleet:registry:*"]],
    ["scheduler", ["specfleet:scheduler:*", "bull:specfleet-admission:*"]],
    [
      "gateway",
      [
        "specfleet:job:*",
        "specfleet:jobs:*",
        "specfleet:batch:*",
        "specfleet:batches:*",
        "specfleet:file:*",
        "specfleet:files:*",
        "specfleet:apikeys:*",
        "specfleet:ratelimit:*",
        "specfleet:usage:*",
        "specfleet:idempotency:*",
        "bull:specfleet-jobs:*",
        "bull:specfleet-webhooks:*",
      ],
    ],
  ];
  for (const [role, keys] of cases)
    void it(`${role}: only its own keys, everything else off first, nothing dangerous`, () => {
      const rules = redisAclRules(role);
      assert.deepEqual(rules.keys, keys);
      assert.equal(rules.commands[0], "-@all");
      for (const refused of [
        "+@all",
        "+@admin",
        "+@dangerous",
        "+@pubsub",
        "+keys",
        "+flushall",
        "+config",
        "+scan",
        "+acl",
      ])
        assert.ok(!rules.commands.includes(refused), `${role} must not have ${refused}`);
    });

  void it("the control plane's data categories are taken back from @dangerous, SCAN, RANDOMKEY and FUNCTION", () => {
    for (const role of ["gateway", "scheduler", "registry"] as const) {
      const commands = redisAclRules(role).commands;
      const added = commands.indexOf("+@write");
      for (const removed of ["-@dangerous", "-scan", "-randomkey", "-dbsize", "-function"])
        assert.ok(commands.indexOf(removed) > added, `${role}: ${removed} after +@write`);
    }
  });

  void it("verifiers get only the journal's commands, no category", () => {
    const data = redisAclRules("verifier").commands.filter((c) => c.startsWith("+@"));
    assert.deepEqual(data, []);
    for (const command of ["+get", "+set", "+rpush", "+llen", "+lrange", "+expire", "+eval", "+evalsha"])
      assert.ok(redisAclRules("verifier").commands.includes(command), command);
    assert.ok(!redisAclRules("verifier").commands.includes("+del"));
  });
});

void describe("redisAclFile", () => {
  void it("a user per role given a password, by its SHA-256 only, and the default user off", () => {
    const passwords = { gateway: "pw-gateway", verifier: "pw-verifier" };
    const file = redisAclFile(passwords);
    const lines = file.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      new RegExp(`^user gateway reset on #${sha256("pw-gateway")} resetchannels ~specfleet:job:\\* `),
    );
    assert.match(
      lines[1]!,
      new RegExp(`^user verifier reset on #${sha256("pw-verifier")} resetchannels ~specfleet:journal:\\* -@all `),
    );
    assert.equal(lines[2], "user default reset off resetchannels ~* &* +@all");
    assert.doesNotMatch(file, /pw-gateway|pw-verifier/);
    assert.ok(file.endsWith("\n"));
  });

  void it("admin (operators, tests) has every key, channel and command", () => {
    assert.match(redisAclUser("admin", "x"), /^user admin reset on #[0-9a-f]{64} allchannels ~\* \+@all$/);
  });

  void it("refuses an empty password or one an aclfile would split", () => {
    assert.throws(() => redisAclUser("gateway", ""), /non-empty, without spaces/);
    assert.throws(() => redisAclUser("gateway", "a b"), /non-empty, without spaces/);
  });

  void it("REDIS_ROLES are the four actors that reach Redis (never drafters)", () => {
    assert.deepEqual([...REDIS_ROLES], ["gateway", "scheduler", "registry", "verifier"]);
  });
});

void describe("newRedisPassword", () => {
  void it("32 random bytes in base64url, different each time", () => {
    const passwords = new Set(Array.from({ length: 20 }, () => newRedisPassword()));
    assert.equal(passwords.size, 20);
    for (const password of passwords) assert.match(password, /^[A-Za-z0-9_-]{43}$/);
  });
});
