import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { projectRoot, type LocalFleet } from "#infra";
import { MODEL, startTestFleet } from "../support/fleet.js";

const ADMIN_TOKEN = "admin-token-for-tests";
const PROMPT = "Once upon a time";
const run = promisify(execFile);
/** Where startTestFleet writes the gateway's log (relative to the working directory, as it does). */
const GATEWAY_LOG = join(".cache", "test-logs", "api-keys", "gateway.log");

interface CreatedKey {
  id: string;
  secret: string;
  display: string;
  webhook_secret: string;
}
interface UsageView {
  total: { requests: number; prompt_tokens: number; completion_tokens: number; total_tokens: number };
  daily: Array<{ date: string; requests: number }>;
}

/** API keys end to end: open fleet, 401s, each limit's 429 and recovery, usage, and the CLI. */
describe("API keys", () => {
  let fleet: LocalFleet;
  const client = (apiKey = "not-checked-while-open") =>
    new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey, maxRetries: 0 });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${fleet.gatewayUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const createKey = async (body: unknown) => {
    const created = await admin<CreatedKey>("POST", "/admin/keys", body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  };
  const cli = async (...args: string[]) => {
    const result = await run(
      process.execPath,
      [join(projectRoot(), "dist", "cli", "specfleet.js"), "keys", ...args, "--gateway", fleet.gatewayUrl],
      { env: { ...process.env, SPECFLEET_ADMIN_TOKEN: ADMIN_TOKEN } },
    );
    return result.stdout;
  };
  const complete = (apiKey: string, more: Partial<OpenAI.CompletionCreateParamsNonStreaming> = {}) =>
    client(apiKey).completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 8, temperature: 0, ...more });
  const refusal = async (promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
    const error = await promise.then(
      () => null,
      (err: unknown) => err,
    );
    assert.ok(error instanceof OpenAI.APIError, `expected an API error, got ${String(error)}`);
    return error;
  };
  const expectRateLimited = async (promise: Promise<unknown>, kind: "requests" | "tokens") => {
    const error = await refusal(promise);
    assert.equal(error.status, 429, error.message);
    assert.equal(error.code, "rate_limit_exceeded");
    const retryAfter = Number(error.headers?.get("retry-after"));
    assert.ok(retryAfter >= 1, `Retry-After ${retryAfter}`);
    assert.ok(error.headers?.get(`x-ratelimit-limit-${kind}`), `x-ratelimit-limit-${kind}`);
    if (kind === "requests") assert.equal(error.headers?.get("x-ratelimit-remaining-requests"), "0");
    assert.ok(error.headers?.get(`x-ratelimit-reset-${kind}`));
    return { retryAfter, headers: error.headers! };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  before(async () => {
    fleet = await startTestFleet("api-keys", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 4,
      serviceEnv: { gateway: { GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN, GATEWAY_KEY_CACHE_MS: "300" } },
    });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("with no keys /v1 is open (any token, or none), and the gateway says so at start", async () => {
    const answer = await complete("anything");
    assert.ok(answer.usage && answer.usage.completion_tokens > 0);
    const bare = await fetch(`${fleet.gatewayUrl}/v1/models`);
    assert.equal(bare.status, 200);
    const log = await readFile(GATEWAY_LOG, "utf8");
    assert.match(log, /\/v1 is open: no API keys configured/);
    // Anonymous callers cannot jump the queue by default (GATEWAY_ANON_PRIORITY_MIN 0).
    const error = await refusal(complete("anything", { priority: -5 } as object));
    assert.equal(error.status, 400);
    assert.equal(error.param, "priority");
    assert.match(error.message, /0 to 1000/);
  });

  it("the admin API for keys needs the admin token", async () => {
    const response = await fetch(`${fleet.gatewayUrl}/admin/keys`);
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, "invalid_admin_token");
    const bad = await admin<{ error: { param: string } }>("POST", "/admin/keys", { name: "x", limits: { rpm: 1 } });
    assert.equal(bad.status, 400);
  });

  let ops: CreatedKey;
  it("once a key exists, /v1 needs it: 401 without, with a wrong or a revoked key (CLI create and revoke)", async () => {
    ops = JSON.parse(await cli("create", "ops", "--priority-min", "-1000", "--json")) as CreatedKey;
    assert.match(ops.secret, /^sk-sf-/);
    await sleep(400); // the gateway's lookup cache (GATEWAY_KEY_CACHE_MS 300)
    const missing = await fetch(`${fleet.gatewayUrl}/v1/models`);
    assert.equal(missing.status, 401);
    const body = (await missing.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(body.error.code, "invalid_api_key");
    const wrong = await refusal(complete(`${ops.secret.slice(0, -2)}xx`));
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.message.includes(ops.secret.slice(10, -4)), "a wrong key is not echoed whole");
    const answer = await complete(ops.secret, { priority: -5 } as object);
    assert.ok(answer.choices[0]!.text.length > 0);

    const doomed = await createKey({ name: "doomed" });
    await sleep(400);
    assert.ok((await complete(doomed.secret)).usage);
    assert.match(await cli("revoke", doomed.id), /revoked/);
    await sleep(400);
    const revoked = await refusal(complete(doomed.secret));
    assert.equal(revoked.status, 401);
    assert.match(revoked.message, /revoked/);
  });

  it("a key's priority range is enforced", async () => {
    const plain = await createKey({ name: "plain", priority_range: { min: 0, max: 10 } });
    await sleep(400);
    const error = await refusal(complete(plain.secret, { priority: 11 } as object));
    assert.equal(error.status, 400);
    assert.equal(error.param, "priority");
    assert.match(error.message, /0 to 10/);
  });

  it("requests per minute: 429 with Retry-After and x-ratelimit-* headers, then passes again", async () => {
    const key = await createKey({ name: "rpm", limits: { requests_per_minute: 6 } });
    await sleep(400);
    for (let i = 0; i < 6; i++) {
      const { response } = await client(key.secret)
        .completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 2, temperature: 0 })
        .withResponse();
      assert.equal(response.headers.get("x-ratelimit-limit-requests"), "6");
      assert.ok(Number(response.headers.get("x-ratelimit-remaining-requests")) <= 5 - i + 1);
    }
    const { retryAfter } = await expectRateLimited(complete(key.secret), "requests");
    assert.ok(retryAfter <= 10, `one request drains in 10 s at 6 a minute, not ${retryAfter}`);
    await sleep(retryAfter * 1000);
    assert.ok((await complete(key.secret)).usage);
  });

  it("chat completions count against the same limits", async () => {
    const key = await createKey({ name: "chat", limits: { requests_per_minute: 1 } });
    await sleep(400);
    const chat = () =>
      client(key.secret).chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 2,
        temperature: 0,
      });
    assert.ok((await chat()).usage);
    await expectRateLimited(chat(), "requests");
  });

  it("tokens per minute: reserved at admission, settled to the real usage, 429 when over, then passes", async () => {
    const key = await createKey({ name: "tpm", limits: { tokens_per_minute: 300 } });
    await sleep(400);
    const first = await complete(key.secret, { max_tokens: 10 });
    const used = first.usage!.total_tokens;
    // The whole limit at once (4 estimated prompt tokens + 296) does not fit beside what the first used.
    const { retryAfter, headers } = await expectRateLimited(complete(key.secret, { max_tokens: 296 }), "tokens");
    const remaining = Number(headers.get("x-ratelimit-remaining-tokens"));
    // Settled to the first request's real usage, not its reservation (4 + 10), drained a little since.
    assert.ok(remaining >= 300 - used && remaining <= 300 - used + 5, `remaining ${remaining}, used ${used}`);
    assert.equal(headers.get("x-ratelimit-limit-tokens"), "300");
    await sleep(retryAfter * 1000);
    assert.ok((await complete(key.secret, { max_tokens: 296 })).usage);
    const tooLarge = await refusal(complete(key.secret, { max_tokens: 400 }));
    assert.equal(tooLarge.status, 429);
    assert.match(tooLarge.message, /too large/i);
  });

  it("concurrent requests: while one request holds the only slot the next is a 429; the slot comes back when it ends", async () => {
    const key = await createKey({ name: "concurrent", limits: { concurrent_requests: 1 } });
    await sleep(400);
    // A request takes its slot at admission, before the gateway asks the scheduler for a place.
    // With the scheduler paused, an admitted request cannot end (the gateway waits 5 s for the
    // scheduler's answer): of two requests, whichever is admitted first holds the slot, and the
    // other must be refused, whatever the timing.
    const scheduler = fleet.processes.get("scheduler")!;
    type Outcome = { answer: OpenAI.Completion } | { error: unknown };
    let attempts: Array<Promise<Outcome>> = [];
    scheduler.kill("SIGSTOP");
    try {
      attempts = [0, 1].map(() =>
        complete(key.secret).then(
          (answer): Outcome => ({ answer }),
          (error: unknown): Outcome => ({ error }),
        ),
      );
      const first = await Promise.race(attempts);
      assert.ok("error" in first, "nothing can be served while the scheduler is paused");
      const error = first.error as InstanceType<typeof OpenAI.APIError>;
      assert.equal(error.status, 429, String(error));
      assert.equal(error.code, "rate_limit_exceeded");
      assert.match(error.message, /concurrent requests/);
      assert.ok(Number(error.headers?.get("retry-after")) >= 1, "Retry-After");
    } finally {
      scheduler.kill("SIGCONT");
    }
    // The one admitted is served once the scheduler answers; its end frees the slot.
    const outcomes = await Promise.all(attempts);
    const served = outcomes.flatMap((o) => ("answer" in o ? [o.answer] : []));
    assert.equal(served.length, 1, "the request holding the slot is served");
    assert.ok(served[0]!.usage && served[0]!.usage.completion_tokens > 0);
    assert.ok((await complete(key.secret)).usage, "the slot is free again");
  });

  it("usage per key adds up to the completions' usage (admin API and CLI)", async () => {
    const key = await createKey({ name: "usage" });
    await sleep(400);
    const a = await complete(key.secret, { max_tokens: 5 });
    const b = await complete(key.secret, { max_tokens: 9, prompt: "The little dog" });
    const streamed = await client(key.secret).completions.create({
      model: MODEL,
      prompt: PROMPT,
      max_tokens: 7,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamUsage: OpenAI.CompletionUsage | null = null;
    for await (const chunk of streamed) if (chunk.usage) streamUsage = chunk.usage;
    assert.ok(streamUsage);
    const { data: chat, response } = await client(key.secret)
      .chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Tell me a story" }],
        max_tokens: 6,
        temperature: 0,
      })
      .withResponse();
    assert.ok(chat.usage);
    assert.equal(response.headers.get("x-ratelimit-limit-requests"), null, "no limit, no header");
    const expected = [a.usage!, b.usage!, streamUsage, chat.usage];
    const sum = (field: "prompt_tokens" | "completion_tokens") => expected.reduce((n, u) => n + u[field], 0);
    const usage = await admin<UsageView>("GET", `/admin/keys/${key.id}/usage`);
    assert.deepEqual(usage.body.total, {
      requests: 4,
      prompt_tokens: sum("prompt_tokens"),
      completion_tokens: sum("completion_tokens"),
      total_tokens: sum("prompt_tokens") + sum("completion_tokens"),
    });
    assert.equal(usage.body.daily[0]!.date, new Date().toISOString().slice(0, 10));

    // A stream whose client did not ask for usage gets no usage chunk, and is counted all the same.
    const quiet = await client(key.secret).completions.create({
      model: MODEL,
      prompt: PROMPT,
      max_tokens: 4,
      temperature: 0,
      stream: true,
    });
    for await (const chunk of quiet) assert.equal(chunk.usage ?? null, null);
    const after = JSON.parse(await cli("usage", key.id, "--json")) as UsageView;
    assert.equal(after.total.requests, 5);
    assert.ok(after.total.prompt_tokens > usage.body.total.prompt_tokens);

    const shown = await admin<{ usage: UsageView; name: string }>("GET", `/admin/keys/${key.id}`);
    assert.equal(shown.body.name, "usage");
    assert.deepEqual(shown.body.usage.total, after.total);
  });

  it("the CLI lists keys as a table without any secret", async () => {
    const table = await cli("list");
    assert.match(table, /^ID\s+NAME\s+KEY/);
    for (const name of ["ops", "doomed", "rpm", "tpm", "usage"]) assert.match(table, new RegExp(`\\b${name}\\b`));
    assert.match(table, /revoked/);
    assert.ok(!table.includes(ops.secret), "no secret in the list");
    assert.ok(table.includes(ops.display));
    const listed = await admin<{ data: Array<Record<string, unknown>> }>("GET", "/admin/keys");
    assert.ok(listed.body.data.every((k) => !("secret" in k) && !("webhook_secret" in k)));
    const shown = await cli("show", ops.id);
    assert.match(shown, /priority range -1000\.\.1000/);
    await assert.rejects(cli("show", "key_missing"), /no API key 'key_missing'/);
    const gatewayLog = await readFile(GATEWAY_LOG, "utf8");
    assert.ok(!gatewayLog.includes(ops.secret) && !gatewayLog.includes(ops.webhook_secret), "no secret in the logs");
  });
});
