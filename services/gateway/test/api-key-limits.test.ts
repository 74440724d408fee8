import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerToken } from "#http";
import type { ApiKey } from "../src/keys/api-key.js";
import type { Caller } from "../src/keys/caller.js";
import { KeyDirectory } from "../src/keys/key-directory.js";
import type { ApiKeyRepository } from "../src/keys/key-repository.js";
import { createKeyBodySchema } from "../src/keys/key-schemas.js";
import { displayOf, hashKeySecret, looksLikeKey, newKeySecret } from "../src/keys/key-secret.js";
import { priorityProblem } from "../src/keys/priority-bound.js";
import { meteredChunks } from "../src/keys/stream-usage.js";
import {
  formatDuration,
  promptTokenEstimate,
  rateLimitHeaders,
  remaining,
  resetMs,
  retryAfterSeconds,
  waitMs,
} from "../src/keys/rate-limit-arithmetic.js";

describe("per-minute limit arithmetic", () => {
  // [limit, used, cost] → remaining, reset (ms until empty), wait (ms until cost fits)
  const cases: Array<[number, number, number, number, number, number]> = [
    [60, 0, 1, 60, 0, 0],
    [60, 60, 1, 0, 60_000, 1000], // full: one request drains in 1 s
    [60, 59.5, 1, 0, 59_500, 500],
    [2, 2, 1, 0, 60_000, 30_000],
    [1000, 900, 150, 100, 54_000, 3000], // tokens: 50 over at 1000/min is 3 s
    [1000, 0, 1000, 1000, 0, 0],
  ];
  for (const [limit, used, cost, left, reset, wait] of cases) {
    it(`limit ${limit}, used ${used}, asking ${cost}`, () => {
      const bucket = { limit, used };
      assert.equal(remaining(bucket), left);
      assert.equal(resetMs(bucket), reset);
      assert.equal(waitMs(bucket, cost), wait);
    });
  }

  it("durations read as OpenAI writes them", () => {
    assert.equal(formatDuration(0), "0ms");
    assert.equal(formatDuration(17.2), "18ms");
    assert.equal(formatDuration(1000), "1s");
    assert.equal(formatDuration(1500), "1.5s");
    assert.equal(formatDuration(59_940), "59.9s");
    assert.equal(formatDuration(360_000), "6m0s");
    assert.equal(formatDuration(61_200), "1m2s");
  });

  it("Retry-After is whole seconds, at least one", () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(30_000), 30);
  });

  it("headers only for the limits a key has", () => {
    assert.deepEqual(rateLimitHeaders(null, null), {});
    assert.deepEqual(rateLimitHeaders({ limit: 3, used: 1 }, null), {
      "x-ratelimit-limit-requests": "3",
      "x-ratelimit-remaining-requests": "2",
      "x-ratelimit-reset-requests": "20s",
    });
    assert.deepEqual(rateLimitHeaders(null, { limit: 600, used: 150 }), {
      "x-ratelimit-limit-tokens": "600",
      "x-ratelimit-remaining-tokens": "450",
      "x-ratelimit-reset-tokens": "15s",
    });
  });

  it("a prompt's text is estimated at four characters a token, rounded up; token ids count as they are", () => {
    assert.equal(promptTokenEstimate(""), 0);
    assert.equal(promptTokenEstimate("Once upon a time"), 4);
    assert.equal(promptTokenEstimate("abcde"), 2);
    assert.equal(promptTokenEstimate({ tokens: [1, 2, 3] }), 3);
    const chat = {
      messages: [
        { role: "system" as const, content: "abcd" },
        { role: "user" as const, content: "efgh!" },
      ],
    };
    assert.equal(promptTokenEstimate(chat), 3);
  });
});

describe("key secrets", () => {
  it("are recognisable, random, and stored only as a SHA-256", () => {
    const a = newKeySecret();
    const b = newKeySecret();
    assert.notEqual(a, b);
    assert.ok(a.startsWith("sk-sf-") && looksLikeKey(a), a);
    assert.ok(a.length >= 6 + 43);
    assert.match(hashKeySecret(a), /^[0-9a-f]{64}$/);
    assert.notEqual(hashKeySecret(a), hashKeySecret(b));
    const display = displayOf(a);
    assert.ok(display.startsWith(a.slice(0, 10)) && display.endsWith(a.slice(-4)));
    assert.ok(display.length < 20);
  });

  it("bearer tokens are read from the Authorization header only in the Bearer scheme", () => {
    assert.equal(bearerToken("Bearer sk-sf-x"), "sk-sf-x");
    assert.equal(bearerToken("bearer  sk-sf-x "), "sk-sf-x");
    assert.equal(bearerToken("Basic abc"), null);
    assert.equal(bearerToken(undefined), null);
    assert.equal(bearerToken("Bearer a b"), null);
    assert.equal(looksLikeKey("sk-proj-abc"), false);
  });
});

describe("priority bound per caller", () => {
  const caller = (keyId: string | null, min: number, max: number): Caller => ({
    keyId,
    name: null,
    limits: {},
    jobPriority: 0,
    priorityRange: { min, max },
  });
  it("inside the range passes; outside is a 400 naming the field and the range", () => {
    assert.equal(priorityProblem(caller("k", -10, 10), -10), null);
    assert.equal(priorityProblem(caller("k", -10, 10), 10), null);
    const problem = priorityProblem(caller(null, 0, 1000), -5);
    assert.ok(problem);
    assert.equal(problem.status, 400);
    assert.equal(problem.param, "priority");
    assert.match(problem.message, /0 to 1000/);
    assert.match(problem.message, /without an API key/);
    assert.match(priorityProblem(caller("k", 5, 7), 8)!.message, /this API key: 5 to 7/);
  });
});

describe("POST /admin/keys body", () => {
  it("defaults: no limits, job priority 0, a range that cannot jump the queue", () => {
    assert.deepEqual(createKeyBodySchema.parse({ name: "ci" }), {
      name: "ci",
      limits: {},
      job_priority: 0,
      priority_range: { min: 0, max: 1000 },
    });
  });
  const bad: Array<[string, unknown]> = [
    ["no name", {}],
    ["a blank name", { name: "  " }],
    ["an unknown field", { name: "a", rpm: 3 }],
    ["an unknown limit", { name: "a", limits: { rpd: 3 } }],
    ["a zero limit", { name: "a", limits: { requests_per_minute: 0 } }],
    ["a fractional limit", { name: "a", limits: { tokens_per_minute: 1.5 } }],
    ["an inverted range", { name: "a", priority_range: { min: 5, max: 1 } }],
    ["a range beyond ±1000", { name: "a", priority_range: { min: -1001, max: 1 } }],
  ];
  for (const [what, body] of bad)
    it(`refuses ${what}`, () => assert.equal(createKeyBodySchema.safeParse(body).success, false));
});

describe("KeyDirectory caches lookups briefly", () => {
  it("a revocation (or a new key) is seen once the cache time has passed", async () => {
    let now = 0;
    let lookups = 0;
    const key: ApiKey = {
      id: "key_1",
      name: "n",
      createdAt: 0,
      revokedAt: null,
      hash: "",
      display: "",
      limits: {},
      jobPriority: 0,
      priorityRange: { min: 0, max: 1000 },
      webhookSecret: "w",
    };
    let active = false;
    const repository = {
      anyActive: async () => active,
      findByHash: async () => {
        lookups++;
        return { ...key };
      },
    } as unknown as ApiKeyRepository;
    const directory = new KeyDirectory(repository, 1000, 1000, () => now);
    assert.equal(await directory.keysRequired(), false);
    active = true;
    assert.equal(await directory.keysRequired(), false, "cached");
    now = 1001;
    assert.equal(await directory.keysRequired(), true);
    await directory.keyOf("sk-sf-a");
    await directory.keyOf("sk-sf-a");
    assert.equal(lookups, 1);
    key.revokedAt = 5;
    assert.equal((await directory.keyOf("sk-sf-a"))?.revokedAt, null, "still cached");
    now = 2002;
    assert.equal((await directory.keyOf("sk-sf-a"))?.revokedAt, 5);
    directory.invalidate();
    await directory.keyOf("sk-sf-a");
    assert.equal(lookups, 3);
  });
});

describe("meteredChunks", () => {
  async function* source() {
    yield { choices: [{ text: "a" }], usage: null };
    yield { choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } };
  }
  const read = async (asked: boolean) => {
    let usage: unknown = null;
    const out: unknown[] = [];
    for await (const chunk of meteredChunks(source(), asked, (u) => (usage = u))) out.push(chunk);
    return { out, usage };
  };
  it("reports the usage chunk, and drops it (and usage: null) for a client that did not ask", async () => {
    const quiet = await read(false);
    assert.deepEqual(quiet.usage, { promptTokens: 3, completionTokens: 4 });
    assert.deepEqual(quiet.out, [{ choices: [{ text: "a" }] }]);
    const asked = await read(true);
    assert.deepEqual(asked.usage, { promptTokens: 3, completionTokens: 4 });
    assert.equal(asked.out.length, 2);
  });
});
