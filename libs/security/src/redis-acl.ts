import { createHash, randomBytes } from "node:crypto";
import { JobRunQueue, WebhookQueue } from "#contracts";

/**
 * Redis users, one per role of the actors that reach Redis (ARCHITECTURE invariant 7: the control
 * plane and verifiers only; drafters never). `admin` is for operators and tests, never an actor.
 */
export const REDIS_ROLES = ["gateway", "scheduler", "registry", "verifier"] as const;
export type RedisRole = (typeof REDIS_ROLES)[number] | "admin";

/** What one Redis user may do: the key patterns it may touch and its command rules, in ACL syntax. */
export interface RedisAclRules {
  /** Glob patterns (`~pattern` in ACL syntax); every other key is refused, in scripts too (Redis 7). */
  keys: readonly string[];
  /** ACL command rules applied left to right (`-@all`, `+@read`, `+get`, `-scan`...). */
  commands: readonly string[];
}

/** BullMQ keeps a queue's keys under `bull:<queue>:` (its default prefix). */
const bullKeys = (queue: string) => `bull:${queue}:*`;

/**
 * What every connection needs, whatever its role: log in (HELLO carries AUTH), name itself, the
 * ready check (INFO: ioredis and BullMQ read the server's version from it), transactions, and the
 * scripts repositories run (EVAL/EVALSHA; each command a script calls is checked as if sent).
 */
const CONNECTION = [
  "+hello",
  "+auth",
  "+ping",
  "+echo",
  "+info",
  "+select",
  "+quit",
  "+reset",
  "+client|setname",
  "+client|getname",
  "+client|id",
  "+multi",
  "+exec",
  "+discard",
  "+watch",
  "+unwatch",
  "+eval",
  "+evalsha",
  "+eval_ro",
  "+evalsha_ro",
  "+script|load",
  "+script|exists",
  "+time",
];

/**
 * Data commands on the role's own keys: reads and writes (blocking pops included, BullMQ's
 * workers wait on them), without `@dangerous` (KEYS, FLUSHALL, FLUSHDB, SORT, MIGRATE, RESTORE,
 * SWAPDB...) and without the commands that name keys outside the patterns (SCAN, RANDOMKEY) or
 * count them (DBSIZE), and without FUNCTION (loading or flushing server-side libraries; none is
 * used). Administration (CONFIG, ACL, DEBUG, SHUTDOWN, MONITOR...) and Pub/Sub are
 * never added.
 */
const DATA = ["+@read", "+@write", "-@dangerous", "-scan", "-randomkey", "-dbsize", "-function"];

const rules: Record<RedisRole, RedisAclRules> = {
  // Jobs (and their fleet share), batches, files, API keys, rate limits, usage, idempotency keys,
  // and the BullMQ queues of job runs and webhooks (services/gateway/src/{jobs,batches,files,keys}).
  gateway: {
    keys: [
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
      bullKeys(JobRunQueue.queue),
      bullKeys(WebhookQueue.queue),
    ],
    commands: ["-@all", ...DATA, ...CONNECTION],
  },
  // The session table, and the admission queue (services/scheduler/src/admission, `specfleet-admission`).
  scheduler: {
    keys: ["specfleet:scheduler:*", bullKeys("specfleet-admission")],
    commands: ["-@all", ...DATA, ...CONNECTION],
  },
  // The mirrored fleet (`specfleet:registry:workers`); whatever else the registry keeps goes under its prefix.
  registry: {
    keys: ["specfleet:registry:*"],
    commands: ["-@all", ...DATA, ...CONNECTION],
  },
  // The session journal only (libs/journal RedisJournal), and only the commands it sends: a
  // verifier can neither read API keys or jobs nor touch another role's state.
  verifier: {
    keys: ["specfleet:journal:*"],
    commands: ["-@all", "+get", "+set", "+rpush", "+llen", "+lrange", "+expire", ...CONNECTION],
  },
  admin: { keys: ["*"], commands: ["+@all"] },
};

/** The ACL rules of a role's Redis user. */
export function redisAclRules(role: RedisRole): RedisAclRules {
  return rules[role];
}

/**
 * One aclfile line: the role's user, on, with the SHA-256 of its password (the file never holds a
 * password), its keys and commands, and no Pub/Sub channel (`admin`: every channel).
 */
export function redisAclUser(role: RedisRole, password: string): string {
  if (password === "" || /\s/.test(password))
    throw new Error(`the ${role} Redis password must be non-empty, without spaces`);
  const { keys, commands } = rules[role];
  const channels = role === "admin" ? "allchannels" : "resetchannels";
  const hash = createHash("sha256").update(password).digest("hex");
  return ["user", role, "reset", "on", `#${hash}`, channels, ...keys.map((k) => `~${k}`), ...commands].join(" ");
}

/**
 * An aclfile (redis-server `--aclfile`) with a user for each role given a password, and the
 * `default` user off: a connection that does not log in can run nothing. Its rights stay whole
 * because redis-server ≤ 7.2 replays the append-only file as `default` and re-checks each EXEC
 * (redis/redis#14541): with none, every transaction written before a restart would be dropped.
 * Being off, nobody can log in as it.
 */
export function redisAclFile(passwords: Partial<Record<RedisRole, string>>): string {
  const users = Object.entries(passwords)
    .filter((entry): entry is [RedisRole, string] => entry[1] !== undefined)
    .map(([role, password]) => redisAclUser(role, password));
  return [...users, "user default reset off resetchannels ~* &* +@all", ""].join("\n");
}

/** A new Redis password: 32 random bytes, base64url (43 characters, nothing an aclfile or a shell would split). */
export function newRedisPassword(): string {
  return randomBytes(32).toString("base64url");
}
