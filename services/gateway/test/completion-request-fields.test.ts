import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCompletionRequest } from "../src/completions/completion-request.js";
import { HttpApiError } from "#http";

const parse = (fields: Record<string, unknown>) =>
  parseCompletionRequest({ model: "m", prompt: "Once", ...fields }, 4096, 200_000);

function refused(fields: Record<string, unknown>): HttpApiError {
  try {
    parse(fields);
  } catch (err) {
    assert.ok(err instanceof HttpApiError, String(err));
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(fields)}`);
}

/** OpenAI's and vLLM's fields: defaults that clients send are accepted, anything else is refused by name. */
describe("completion request fields", () => {
  const acceptedDefaults: Array<[string, unknown]> = [
    ["frequency_penalty", 0],
    ["frequency_penalty", null],
    ["presence_penalty", 0],
    ["presence_penalty", null],
    ["logit_bias", {}],
    ["logit_bias", null],
    ["suffix", null],
    ["suffix", ""],
    ["user", "someone"],
    ["user", null],
    ["n", 1],
    ["n", null],
    ["logprobs", null],
    ["echo", false],
    ["best_of", 1],
    ["stream_options", null],
    ["stream_options", { include_usage: true }],
    ["seed", null],
  ];
  for (const [field, value] of acceptedDefaults) {
    it(`accepts ${field}: ${JSON.stringify(value)}`, () => {
      assert.doesNotThrow(() => parse({ [field]: value }));
    });
  }

  const nullIsDefault: Array<[string, unknown]> = [
    ["max_tokens", 16],
    ["temperature", 1],
    ["top_p", 1],
    ["stream", false],
  ];
  for (const [field, fallback] of nullIsDefault) {
    it(`takes ${field}: null as OpenAI's default (${String(fallback)})`, () => {
      const request = parse({ [field]: null }) as unknown as Record<string, unknown>;
      assert.equal(request[field], fallback);
      assert.equal((parse({}) as unknown as Record<string, unknown>)[field], fallback);
    });
  }

  const unsupported: Array<[string, unknown]> = [
    ["frequency_penalty", 0.5],
    ["presence_penalty", -1],
    ["logit_bias", { "50256": -100 }],
    ["suffix", "the end"],
    ["n", 2],
    ["echo", true],
    ["best_of", 3],
    ["logprobs", 5],
  ];
  for (const [field, value] of unsupported) {
    it(`refuses ${field}: ${JSON.stringify(value)} with a 400 naming it`, () => {
      const error = refused({ [field]: value });
      assert.equal(error.status, 400);
      assert.equal(error.param, field);
      assert.match(error.message, new RegExp(field));
      assert.match(error.message, /not supported/);
    });
  }

  it("refuses an unknown field with a 400 naming it", () => {
    const error = refused({ max_token: 5 });
    assert.equal(error.status, 400);
    assert.equal(error.param, "max_token");
    assert.match(error.message, /`max_token` is not a parameter/);
    assert.deepEqual(error.body().error.type, "invalid_request_error");
  });

  it("still checks a value's type", () => {
    assert.equal(refused({ max_tokens: "5" }).param, "max_tokens");
    assert.equal(refused({ stream: "yes" }).param, "stream");
    assert.equal(refused({ frequency_penalty: "0" }).param, "frequency_penalty");
  });
});

/** The schema is built once per pair of limits: each gateway's limits hold, whichever was parsed first. */
describe("completion request limits", () => {
  it("holds each configuration's limits, the schema built once for each", () => {
    const body = { model: "m", prompt: "Once upon a time", max_tokens: 300 };
    assert.equal(parseCompletionRequest(body, 4096, 200_000).max_tokens, 300);
    assert.throws(() => parseCompletionRequest(body, 256, 200_000), /max_tokens.*at most 256/);
    assert.throws(() => parseCompletionRequest(body, 4096, 10), /prompt/);
    assert.equal(parseCompletionRequest(body, 4096, 200_000).max_tokens, 300);
    assert.throws(() => parseCompletionRequest(body, 256, 200_000), /at most 256/);
  });
});
