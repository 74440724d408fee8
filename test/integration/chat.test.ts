import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { ChatMessage } from "#contracts";
import type { LocalFleet } from "#infra";
import { CHATML_TEMPLATE, withChatTemplate } from "../support/chat-model.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { cutAtStop, tokenReferences, type TokenReference } from "../support/token-reference.js";

const TEMPLATED = "stories260K-chatml";
const MAX_TOKENS = 48;
const CHATS: ChatMessage[][] = [
  [{ role: "user", content: "Once upon a time" }],
  [
    { role: "system", content: "You tell stories." },
    { role: "user", content: "Lily and Ben went to the park." },
    { role: "assistant", content: "They played." },
    { role: "user", content: "Then" },
  ],
];

/**
 * `/v1/chat/completions` through a real fleet with OpenAI's own client: the tiny model without a
 * chat template (the plain fallback) and a copy of it with a ChatML template in its GGUF, each
 * answer token-identical to the target alone decoding the prompt the template renders.
 */
describe("chat completions", () => {
  let fleet: LocalFleet;
  let dir: string;
  let client: OpenAI;
  const references = new Map<string, TokenReference[]>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-chat-"));
    const templated = join(dir, `${TEMPLATED}.gguf`);
    await withChatTemplate(MODEL_PATH, templated, CHATML_TEMPLATE);
    const prompts = CHATS.map((messages) => ({ messages }));
    references.set(MODEL, await tokenReferences(MODEL_PATH, prompts, MAX_TOKENS));
    references.set(TEMPLATED, await tokenReferences(templated, prompts, MAX_TOKENS));
    fleet = await startTestFleet("chat", {
      verifiers: [{ modelPath: MODEL_PATH }, { modelPath: templated }],
      drafters: 1,
      maxSessions: 4,
      draftTemperature: 0,
    });
    client = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: "none", maxRetries: 0 });
  });

  after(async () => {
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const model of [MODEL, TEMPLATED]) {
    it(`answers whole and streamed exactly as the target alone (${model})`, async () => {
      for (const [i, messages] of CHATS.entries()) {
        const expected = references.get(model)![i]!;
        const whole = await client.chat.completions.create({
          model,
          messages,
          max_completion_tokens: MAX_TOKENS,
          temperature: 0,
        });
        assert.equal(whole.object, "chat.completion");
        assert.match(whole.id, /^chatcmpl-/);
        assert.equal(whole.choices[0]!.message.role, "assistant");
        assert.equal(whole.choices[0]!.message.content, expected.text, `chat ${i}`);
        assert.equal(whole.choices[0]!.finish_reason, expected.finishReason);
        assert.deepEqual(whole.usage && [whole.usage.prompt_tokens, whole.usage.completion_tokens], [
          expected.promptTokens.length,
          expected.tokens.length,
        ]);

        const stream = await client.chat.completions.create({
          model,
          messages,
          max_tokens: MAX_TOKENS,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: "assistant", content: "" });
        const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
        assert.equal(text, expected.text, `chat ${i} streamed`);
        const finish = chunks.find((c) => c.choices[0]?.finish_reason);
        assert.equal(finish?.choices[0]!.finish_reason, expected.finishReason);
        const last = chunks.at(-1)!;
        assert.deepEqual(last.choices, []);
        assert.equal(last.usage?.completion_tokens, expected.tokens.length);
        assert.equal(last.usage?.prompt_tokens, expected.promptTokens.length);
      }
    });
  }

  it("renders with the GGUF's template: the two models get different prompts", () => {
    const [plain, templated] = [references.get(MODEL)![0]!, references.get(TEMPLATED)![0]!];
    assert.notDeepEqual(plain.promptTokens, templated.promptTokens);
  });

  it("honours stop on chat replies as the target alone with the same stop", async () => {
    const expected = references.get(MODEL)![1]!;
    assert.ok(expected.text.length > 12, `a reply long enough to cut: ${JSON.stringify(expected.text)}`);
    const stop = expected.text.slice(6, 9);
    const cut = cutAtStop(expected, [stop]);
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: CHATS[1]!,
      max_completion_tokens: MAX_TOKENS,
      temperature: 0,
      stop,
    });
    assert.equal(reply.choices[0]!.message.content, cut.text);
    assert.equal(reply.choices[0]!.finish_reason, "stop");
    assert.equal(reply.usage?.completion_tokens, cut.completionTokens);
  });

  it("repeats a seeded sampled reply", async () => {
    const ask = () =>
      client.chat.completions.create({
        model: MODEL,
        messages: CHATS[0]!,
        max_completion_tokens: 32,
        temperature: 1,
        seed: 1234,
      });
    const [a, b] = [await ask(), await ask()];
    assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
    assert.ok(a.choices[0]!.message.content!.length > 0);
  });

  it("prefers max_completion_tokens over max_tokens", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: CHATS[0]!,
      max_completion_tokens: 3,
      max_tokens: 40,
      temperature: 0,
    });
    assert.equal(reply.usage?.completion_tokens, Math.min(3, references.get(MODEL)![0]!.tokens.length));
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ["n > 1", { n: 2 }, "n"],
    ["tools", { tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
    ["a tool message", { messages: [{ role: "tool", content: "x", tool_call_id: "1" }] }, "messages.0.role"],
    [
      "an image part",
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://x" } }] }] },
      "messages.0.content",
    ],
    ["a JSON response format", { response_format: { type: "json_object" } }, "response_format"],
    ["logprobs", { logprobs: true }, "logprobs"],
    ["no messages", { messages: [] }, "messages"],
    ["an unknown field", { frobnicate: 1 }, "frobnicate"],
    ["five stop sequences", { stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["max_completion_tokens 0", { max_completion_tokens: 0 }, "max_completion_tokens"],
  ];
  for (const [what, fields, param] of refusals) {
    it(`refuses ${what} with a 400 naming ${param}`, async () => {
      const response = await fetch(`${fleet.gatewayUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: MODEL, messages: CHATS[0], ...fields }),
      });
      const body = (await response.json()) as { error: { param: string | null; type: string; message: string } };
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.error.type, "invalid_request_error");
      assert.ok(body.error.param?.startsWith(param), `param ${body.error.param}: ${body.error.message}`);
    });
  }

  it("takes developer messages as system and text parts joined by newlines", async () => {
    const asParts = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "developer", content: "You tell stories." },
        { role: "user", content: [{ type: "text", text: "Lily and Ben went to the park." }] },
        { role: "assistant", content: "They played." },
        { role: "user", content: "Then" },
      ],
      max_completion_tokens: MAX_TOKENS,
      temperature: 0,
    });
    assert.equal(asParts.choices[0]!.message.content, references.get(MODEL)![1]!.text);
  });
});
