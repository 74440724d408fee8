import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { api, jobEvents, jobResults, waitForJob, type JobBody } from "../support/jobs-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const MAX_TOKENS = 48;
const WEBHOOK_SECRET = "jobs-test-webhook-secret-0123456789";

/**
 * The native jobs API on a real fleet (nats-server, redis-server, llama.cpp workers): every
 * result equals the target model decoding alone, counts add up, and a job can be followed,
 * cancelled, replayed by its Idempotency-Key and reported to a signed webhook.
 */
describe("jobs (POST /v1/jobs and what follows)", () => {
  let fleet: LocalFleet;
  let reference: ReferenceCompletions;

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet("jobs", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 4,
      serviceEnv: { gateway: { JOBS_WEBHOOK_SECRET: WEBHOOK_SECRET, JOBS_FLEET_SHARE: "1", JOBS_BODY_LIMIT: "256kb" } },
    });
  });

  after(async () => {
    await fleet?.stop();
  });

  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    api<JobBody>(fleet.gatewayUrl, "POST", "/v1/jobs", body, headers);

  it("runs completions and chats in the background, each as the target alone, counts adding up", async () => {
    const completions = PROMPTS.map((prompt, i) => ({
      custom_id: `c${i}`,
      prompt,
      max_tokens: MAX_TOKENS,
      temperature: 0,
      return_token_ids: true,
    }));
    const chat = {
      custom_id: "chat",
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 24,
      temperature: 0,
    };
    const submitted = await submit({ model: MODEL, requests: [...completions, chat], metadata: { team: "a" } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.equal(submitted.headers.get("location"), `/v1/jobs/${submitted.body.id}`);
    assert.ok(Number(submitted.headers.get("retry-after")) >= 1);
    assert.equal(submitted.body.status, "queued");
    assert.equal(submitted.body.progress.total, completions.length + 1);

    const job = await waitForJob(fleet.gatewayUrl, submitted.body.id);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.deepEqual(job["metadata"], { team: "a" });
    assert.equal(job.progress.done, completions.length + 1);
    assert.equal(job.progress.failed, 0);
    const results = await jobResults(fleet.gatewayUrl, job.id);
    assert.deepEqual(
      results.map((r) => r.index),
      [...completions.keys(), completions.length],
    );
    // Small jobs show their results inline, the same as the JSONL.
    assert.deepEqual(job.results, results);
    for (const [i, prompt] of PROMPTS.entries()) {
      const line = results[i]!;
      const expected = await reference.for(prompt, line.response.choices[0]!.token_ids ?? []);
      assert.equal(line.custom_id, `c${i}`);
      assert.equal(line.status, "succeeded");
      assert.equal(line.response["object"], "text_completion");
      assert.deepEqual(
        line.response.choices[0]!.token_ids,
        expected.tokens,
        `"${prompt}": tokens differ from the target alone`,
      );
      assert.equal(line.response.choices[0]!.text, expected.text);
    }
    // The chat request answers exactly as the same request sent interactively.
    const interactive = await api<ResultLineBody>(fleet.gatewayUrl, "POST", "/v1/chat/completions", {
      model: MODEL,
      ...chat,
      custom_id: undefined,
    });
    assert.equal(interactive.status, 200, JSON.stringify(interactive.body));
    const chatLine = results.at(-1)!;
    assert.equal(chatLine.response["object"], "chat.completion");
    assert.equal(chatLine.response.choices[0]!.message!.content, interactive.body.choices[0]!.message!.content);
    // Usage is the sum of the results' usage.
    const sum = (key: "prompt_tokens" | "completion_tokens") => results.reduce((s, r) => s + r.response.usage[key], 0);
    assert.equal(job.usage.prompt_tokens, sum("prompt_tokens"));
    assert.equal(job.usage.completion_tokens, sum("completion_tokens"));
    assert.equal(job.progress.completion_tokens, sum("completion_tokens"));
  });

  it("gives back the same job for a repeated Idempotency-Key, and refuses the key with another body", async () => {
    const body = { model: MODEL, requests: [{ prompt: PROMPTS[0], max_tokens: 4, temperature: 0 }] };
    const first = await submit(body, { "Idempotency-Key": "idem-1" });
    assert.equal(first.status, 202);
    const again = await submit(body, { "Idempotency-Key": "idem-1" });
    assert.equal(again.status, 202);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    const other = await submit({ ...body, priority: 3 }, { "Idempotency-Key": "idem-1" });
    assert.equal(other.status, 422, JSON.stringify(other.body));
    assert.equal((other.body as unknown as { error: { code: string } }).error.code, "idempotency_key_reused");
    await waitForJob(fleet.gatewayUrl, first.body.id);
  });

  it("streams a job's progress as server-sent events until it is done", async () => {
    const submitted = await submit({
      model: MODEL,
      requests: PROMPTS.slice(0, 3).map((prompt) => ({ prompt, max_tokens: 16, temperature: 0 })),
    });
    const events = await jobEvents(fleet.gatewayUrl, submitted.body.id);
    assert.equal(events[0]!.event, "job");
    const requests = events.filter((e) => e.event === "request");
    assert.deepEqual(requests.map((e) => e.data["index"]).sort(), [0, 1, 2]);
    assert.ok(
      requests.every((e) => e.id !== null),
      "request events carry ids for Last-Event-ID",
    );
    assert.ok(events.some((e) => e.event === "progress"));
    const done = events.at(-1)!;
    assert.equal(done.event, "done");
    assert.equal(done.data["status"], "succeeded");
  });

  it("cancels a running job: what waits is dropped, what runs is stopped, and nothing moves afterwards", async () => {
    const submitted = await submit({
      model: MODEL,
      requests: Array.from({ length: 60 }, (_, i) => ({
        prompt: PROMPTS[i % PROMPTS.length],
        max_tokens: 200,
        temperature: 0,
      })),
    });
    const id = submitted.body.id;
    for (;;) {
      const { body } = await api<JobBody>(fleet.gatewayUrl, "GET", `/v1/jobs/${id}`);
      if (body.progress.done > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cancelled = await api<JobBody>(fleet.gatewayUrl, "POST", `/v1/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.ok(cancelled.body["cancel_requested_at"] !== null);
    const job = await waitForJob(fleet.gatewayUrl, id, 30_000);
    assert.equal(job.status, "cancelled");
    assert.ok(job.progress.done < 60, `a cancelled job stops early (${job.progress.done} done)`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await api<JobBody>(fleet.gatewayUrl, "GET", `/v1/jobs/${id}`);
    assert.equal(later.body.progress.done, job.progress.done, "nothing is recorded after the end");
    // The fleet is free again: an interactive request is served.
    const interactive = await api(fleet.gatewayUrl, "POST", "/v1/completions", {
      model: MODEL,
      prompt: "Hi",
      max_tokens: 4,
    });
    assert.equal(interactive.status, 200);
  });

  it("tells a webhook the job finished, signed with HMAC-SHA256", async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    let calls = 0;
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        // The first delivery fails: BullMQ retries it.
        res.statusCode = ++calls === 1 ? 500 : 204;
        if (calls > 1) received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const submitted = await submit({ model: MODEL, requests: [{ prompt: "Hi", max_tokens: 4 }], webhook: { url } });
      await waitForJob(fleet.gatewayUrl, submitted.body.id);
      while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const { headers, body } = received[0]!;
      const expected = createHmac("sha256", WEBHOOK_SECRET)
        .update(`${String(headers["webhook-id"])}.${String(headers["webhook-timestamp"])}.${body}`)
        .digest("base64");
      assert.equal(headers["webhook-signature"], `v1,${expected}`);
      const event = JSON.parse(body) as { type: string; data: { id: string; status: string } };
      assert.equal(event.type, "job.succeeded");
      assert.equal(event.data.id, submitted.body.id);
    } finally {
      server.close();
    }
  });

  it("answers bad input with OpenAI's error object and stays up", async () => {
    const error = (answer: { body: unknown }) =>
      (answer.body as { error: { code: string | null; param: string | null } }).error;
    const broken = await api(fleet.gatewayUrl, "POST", "/v1/jobs", "{not json");
    assert.equal(broken.status, 400);
    const oversized = await submit({
      model: MODEL,
      requests: Array.from({ length: 300 }, () => ({ prompt: "x".repeat(1000) })),
    });
    assert.equal(oversized.status, 413);
    assert.equal(error(oversized).code, "body_too_large");
    const textPlain = await api(fleet.gatewayUrl, "POST", "/v1/jobs", "{}", { "Content-Type": "text/plain" });
    assert.equal(textPlain.status, 415);
    const empty = await submit({ model: MODEL, requests: [] });
    assert.equal(empty.status, 400);
    assert.equal(error(empty).param, "requests");
    const badParam = await submit({ model: MODEL, requests: [{ prompt: "a" }, { prompt: "b", temperature: 7 }] });
    assert.equal(badParam.status, 400);
    assert.equal(error(badParam).param, "requests.1.temperature");
    const streamed = await submit({ model: MODEL, requests: [{ prompt: "a", stream: true }] });
    assert.equal(streamed.status, 400);
    const unknownField = await submit({ model: MODEL, requests: [{ prompt: "a" }], colour: "red" });
    assert.equal(unknownField.status, 400);
    assert.equal(error(unknownField).param, "colour");
    const unknownModel = await submit({ model: "no-such-model", requests: [{ prompt: "a" }] });
    assert.equal(unknownModel.status, 404);
    assert.equal(error(unknownModel).code, "model_not_found");
    const badHook = await submit({ model: MODEL, requests: [{ prompt: "a" }], webhook: { url: "ftp://x" } });
    assert.equal(badHook.status, 400);
    for (const path of ["/v1/jobs/job_nope", "/v1/jobs/job_nope/results", "/v1/jobs/job_nope/events"]) {
      const unknown = await api(fleet.gatewayUrl, "GET", path);
      assert.equal(unknown.status, 404, path);
      assert.equal(error(unknown).code, "job_not_found");
    }
    assert.equal((await api(fleet.gatewayUrl, "POST", "/v1/jobs/job_nope/cancel")).status, 404);
    assert.equal((await api(fleet.gatewayUrl, "GET", "/v1/jobs?status=bogus")).status, 400);
    assert.equal((await api(fleet.gatewayUrl, "GET", "/v1/jobs?limit=0")).status, 400);
    assert.equal((await api(fleet.gatewayUrl, "GET", "/v1/jobs?after=job_nope")).status, 400);
    assert.equal((await api(fleet.gatewayUrl, "GET", "/healthz")).status, 200);
  });

  it("lists jobs newest first, by cursor and by status", async () => {
    const all = await api<{ data: JobBody[]; has_more: boolean; last_id: string }>(
      fleet.gatewayUrl,
      "GET",
      "/v1/jobs?limit=100",
    );
    assert.equal(all.status, 200);
    assert.ok(all.body.data.length >= 5);
    const firstPage = await api<{ data: JobBody[]; has_more: boolean; last_id: string }>(
      fleet.gatewayUrl,
      "GET",
      "/v1/jobs?limit=2",
    );
    assert.equal(firstPage.body.has_more, true);
    const next = await api<{ data: JobBody[] }>(
      fleet.gatewayUrl,
      "GET",
      `/v1/jobs?limit=2&after=${firstPage.body.last_id}`,
    );
    assert.deepEqual(
      [...firstPage.body.data, ...next.body.data].map((j) => j.id),
      all.body.data.slice(0, 4).map((j) => j.id),
    );
    const cancelled = await api<{ data: JobBody[] }>(fleet.gatewayUrl, "GET", "/v1/jobs?status=cancelled");
    assert.ok(cancelled.body.data.length >= 1);
    assert.ok(cancelled.body.data.every((j) => j.status === "cancelled"));
  });
});

interface ResultLineBody {
  choices: Array<{ message?: { content: string } }>;
}
