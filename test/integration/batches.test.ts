import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI, { toFile } from "openai";
import type { LocalFleet } from "#infra";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { followedReference } from "../support/reference.js";
import { tokenReferences, type TokenReference } from "../support/token-reference.js";

const MAX_TOKENS = 24;
const MAX_FILE_BYTES = 64 * 1024;
const CHAT = [{ role: "user" as const, content: "Once upon a time" }];

const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";
const completionLine = (customId: string, prompt: string, extra: Record<string, unknown> = {}) => ({
  custom_id: customId,
  method: "POST",
  url: "/v1/completions",
  body: { model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0, ...extra },
});

async function upload(client: OpenAI, content: string, name = "in.jsonl") {
  return client.files.create({ file: await toFile(Buffer.from(content), name), purpose: "batch" });
}

/** Polls the batch until it reaches one of `statuses` (the test runner's timeout bounds the wait). */
async function until(client: OpenAI, id: string, statuses: string[]) {
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (statuses.includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function lines(client: OpenAI, fileId: string): Promise<Array<Record<string, any>>> {
  const text = await (await client.files.content(fileId)).text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, any>);
}

async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  assert.fail("expected the request to be refused");
}

/**
 * OpenAI's Files and Batch APIs through a real fleet with OpenAI's own client: a batch's answers
 * equal the target model decoding alone, a bad line is reported by its number without sinking the
 * batch, cancel, bad files and ids, and another key's batches and files not found.
 */
describe("files and batches", () => {
  let fleet: LocalFleet;
  let client: OpenAI;
  let references: TokenReference[];
  let chatReference: TokenReference;

  before(async () => {
    references = await tokenReferences(MODEL_PATH, PROMPTS, MAX_TOKENS);
    [chatReference] = await tokenReferences(MODEL_PATH, [{ messages: CHAT }], MAX_TOKENS);
    fleet = await startTestFleet("batches", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 4,
      draftTemperature: 0,
      serviceEnv: { gateway: { FILES_MAX_BYTES: String(MAX_FILE_BYTES) } },
    });
    client = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: "none", maxRetries: 0 });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("uploads a file, reads it back and lists it", async () => {
    const content = jsonl([completionLine("a", "Once upon a time")]);
    const file = await upload(client, content, "upload.jsonl");
    assert.match(file.id, /^file-/);
    assert.equal(file.object, "file");
    assert.equal(file.purpose, "batch");
    assert.equal(file.status, "processed");
    assert.equal(file.filename, "upload.jsonl");
    assert.equal(file.bytes, Buffer.byteLength(content));
    assert.ok(file.expires_at! > file.created_at);
    assert.deepEqual(await client.files.retrieve(file.id), file);
    assert.equal(await (await client.files.content(file.id)).text(), content);
    const listed = [];
    for await (const f of client.files.list({ purpose: "batch" })) listed.push(f.id);
    assert.ok(listed.includes(file.id));
    assert.deepEqual(await client.files.delete(file.id), { id: file.id, object: "file", deleted: true });
    assert.equal((await rejection(client.files.retrieve(file.id))).status, 404);
  });

  it("runs a batch exactly as the target alone, its bad lines in the error file by number", async () => {
    const input = jsonl([
      ...PROMPTS.slice(0, 2).map((p, i) => completionLine(`p${i}`, p, { return_token_ids: true })),
      "this line is not JSON",
      completionLine("p0", "a repeated custom_id"),
      completionLine("other-model", "x", { model: "no-such-model" }),
      ...PROMPTS.slice(2).map((p, i) => completionLine(`p${i + 2}`, p, { return_token_ids: true })),
      completionLine("refused", "x", { max_tokens: -1 }),
    ]);
    const file = await upload(client, input);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/completions",
      completion_window: "24h",
      metadata: { purpose: "test" },
    });
    assert.match(created.id, /^batch_/);
    assert.equal(created.object, "batch");
    assert.equal(created.input_file_id, file.id);
    assert.deepEqual(created.metadata, { purpose: "test" });
    assert.ok(["in_progress", "completed"].includes(created.status), created.status);

    const batch = await until(client, created.id, ["completed", "failed", "cancelled"]);
    assert.equal(batch.status, "completed");
    assert.deepEqual(batch.request_counts, { total: PROMPTS.length + 4, completed: PROMPTS.length, failed: 4 });
    assert.deepEqual(
      batch.errors?.data?.map((e) => [e.line, e.code]),
      [
        [3, "invalid_json"],
        [4, "duplicate_custom_id"],
        [5, "mismatched_model"],
        [9, "invalid_request"],
      ],
    );
    assert.ok(batch.completed_at && batch.output_file_id && batch.error_file_id);

    const output = await lines(client, batch.output_file_id);
    assert.equal(output.length, PROMPTS.length);
    for (const line of output) {
      const i = Number(String(line["custom_id"]).slice(1));
      assert.match(line["id"], /^batch_req_/);
      assert.equal(line["error"], null);
      assert.equal(line["response"].status_code, 200);
      assert.equal(line["response"].body.object, "text_completion");
      const choice = line["response"].body.choices[0];
      const expected = await followedReference(
        MODEL_PATH,
        () => references[i]!.promptTokens,
        references[i]!,
        choice.token_ids,
        MAX_TOKENS,
      );
      assert.deepEqual(choice.token_ids, expected.tokens, `prompt ${i}`);
      assert.equal(choice.text, expected.text, `prompt ${i}`);
      assert.equal(line["response"].body.usage.completion_tokens, expected.tokens.length);
    }

    const errors = await lines(client, batch.error_file_id);
    assert.deepEqual(
      errors.map((e) => [e["error"].line, e["custom_id"], e["response"]]),
      [
        [3, null, null],
        [4, "p0", null],
        [5, "other-model", null],
        [9, "refused", null],
      ],
    );
    assert.match(errors[0]!["error"].message, /^line 3: /);

    const outputFile = await client.files.retrieve(batch.output_file_id);
    assert.equal(outputFile.purpose, "batch_output");
    const outputText = await (await client.files.content(batch.output_file_id)).text();
    assert.equal(outputFile.bytes, Buffer.byteLength(outputText));
    const listed = [];
    for await (const b of client.batches.list()) listed.push(b.id);
    assert.ok(listed.includes(batch.id));
  });

  it("runs a chat batch exactly as the target alone", async () => {
    const file = await upload(
      client,
      jsonl([
        {
          custom_id: "chat",
          method: "POST",
          url: "/v1/chat/completions",
          body: { model: MODEL, messages: CHAT, max_completion_tokens: MAX_TOKENS, temperature: 0 },
        },
      ]),
    );
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const batch = await until(client, created.id, ["completed", "failed", "cancelled"]);
    assert.equal(batch.status, "completed");
    assert.equal(batch.error_file_id, null);
    const [line] = await lines(client, batch.output_file_id!);
    assert.equal(line!["response"].body.object, "chat.completion");
    assert.equal(line!["response"].body.choices[0].message.content, chatReference.text);
  });

  it("cancels a batch: it ends cancelled with fewer than all its requests run", async () => {
    const requests = Array.from({ length: 60 }, (_, i) =>
      completionLine(`c${i}`, PROMPTS[i % PROMPTS.length]!, { max_tokens: 64 }),
    );
    const file = await upload(client, jsonl(requests));
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/completions",
      completion_window: "24h",
    });
    const cancelling = await client.batches.cancel(created.id);
    assert.ok(["cancelling", "cancelled"].includes(cancelling.status), cancelling.status);
    assert.ok(cancelling.cancelling_at);
    const batch = await until(client, created.id, ["cancelled", "completed"]);
    assert.equal(batch.status, "cancelled");
    assert.ok(batch.cancelled_at);
    assert.ok(batch.request_counts!.completed < 60, JSON.stringify(batch.request_counts));
  });

  it("fails a batch whose file is not JSONL, listing its lines", async () => {
    const file = await upload(client, '{"custom_id": [\n  1,\n  2\n]}\n');
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/completions",
      completion_window: "24h",
    });
    assert.equal(batch.status, "failed");
    assert.ok(batch.failed_at);
    assert.deepEqual(
      batch.errors?.data?.map((e) => e.line),
      [1, 2, 3, 4],
    );
    assert.equal((await client.batches.retrieve(batch.id)).status, "failed");
  });

  it("refuses bad files, bodies and ids with OpenAI errors, and stays up", async () => {
    const big = await rejection(upload(client, "x".repeat(MAX_FILE_BYTES + 1)));
    assert.equal(big.status, 413);
    assert.equal(big.code, "file_too_large");

    const purpose = await rejection(
      client.files.create({ file: await toFile(Buffer.from("{}\n"), "a.jsonl"), purpose: "fine-tune" }),
    );
    assert.equal(purpose.status, 400);
    assert.equal(purpose.param, "purpose");

    const noFile = await fetch(`${fleet.gatewayUrl}/v1/files`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ purpose: "batch" }),
    });
    assert.equal(noFile.status, 400);
    assert.equal(((await noFile.json()) as { error: { param: string } }).error.param, "file");

    const malformed = await fetch(`${fleet.gatewayUrl}/v1/batches`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"input_file_id": ',
    });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, "invalid_json");

    const missing = await rejection(
      client.batches.create({ input_file_id: "file-nope", endpoint: "/v1/completions", completion_window: "24h" }),
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.param, "input_file_id");

    const file = await upload(client, jsonl([completionLine("a", "x")]));
    const endpoint = await rejection(
      client.batches.create({ input_file_id: file.id, endpoint: "/v1/embeddings", completion_window: "24h" }),
    );
    assert.equal(endpoint.status, 400);
    assert.equal(endpoint.param, "endpoint");

    const unknownModel = await upload(client, jsonl([completionLine("a", "x", { model: "no-such-model" })]));
    const model = await rejection(
      client.batches.create({ input_file_id: unknownModel.id, endpoint: "/v1/completions", completion_window: "24h" }),
    );
    assert.equal(model.status, 404);
    assert.equal(model.code, "model_not_found");

    for (const call of [
      () => client.batches.retrieve("batch_nope"),
      () => client.batches.cancel("batch_nope"),
      () => client.files.retrieve("file-nope"),
      () => client.files.content("file-nope"),
      () => client.files.delete("file-nope"),
    ]) {
      const err = await rejection(call());
      assert.equal(err.status, 404);
      assert.equal(typeof (err.error as { message?: unknown }).message, "string");
    }
    assert.equal((await fetch(`${fleet.gatewayUrl}/healthz`)).status, 200);
  });

  // Last: once a key exists, /v1 needs one.
  it("keeps each key's files and batches to itself", async () => {
    const keyOf = async (name: string) => {
      const res = await fetch(`${fleet.gatewayUrl}/admin/keys`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name }),
      });
      assert.equal(res.status, 201);
      return ((await res.json()) as { secret: string }).secret;
    };
    const [a, b] = [await keyOf("a"), await keyOf("b")];
    const clientA = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: a, maxRetries: 0 });
    const clientB = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: b, maxRetries: 0 });
    const file = await upload(clientA, jsonl([completionLine("a", "Once upon a time")]));
    const batch = await clientA.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/completions",
      completion_window: "24h",
    });
    // One at a time: a refusal is awaited before the next request is made.
    for (const call of [
      () => clientB.batches.retrieve(batch.id),
      () => clientB.batches.cancel(batch.id),
      () => clientB.files.retrieve(file.id),
      () => clientB.files.content(file.id),
      () => clientB.batches.create({ input_file_id: file.id, endpoint: "/v1/completions", completion_window: "24h" }),
    ])
      assert.equal((await rejection(call())).status, 404);
    const listedByB = [];
    for await (const x of clientB.batches.list()) listedByB.push(x.id);
    assert.deepEqual(listedByB, []);
    const done = await until(clientA, batch.id, ["completed"]);
    assert.equal(done.request_counts!.completed, 1);
    assert.equal((await rejection(clientB.files.retrieve(done.output_file_id!))).status, 404);
  });
});
