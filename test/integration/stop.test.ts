import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { LocalFleet } from "#infra";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { cutAtStop, tokenReferences, type TokenReference } from "../support/token-reference.js";

const MAX_TOKENS = 64;

/** Stop sequences taken from inside each reference answer, so that every case really stops. */
function stopsFor(ref: TokenReference): string[][] {
  const t = ref.text;
  const third = Math.floor(t.length / 3);
  return [
    [t.slice(third, third + 4)],
    // Two stops: the earlier-completing one wins; one that never occurs changes nothing.
    [t.slice(2 * third, 2 * third + 2), t.slice(third + 1, third + 5), "\u0000never"],
    // A stop of one character (spaces and punctuation of the text).
    [t.charAt(third)],
  ];
}

/**
 * `stop` on /v1/completions through a real fleet (speculative rounds of several tokens): the text
 * ends where the target alone's text cut at the first stop ends, whole and streamed, with
 * finish_reason "stop" and the tokens through the one that completed the stop.
 */
describe("stop sequences", () => {
  let fleet: LocalFleet;
  let client: OpenAI;
  let references: TokenReference[];

  before(async () => {
    references = await tokenReferences(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet("stop", { verifiers: 1, drafters: 1, maxSessions: 4, draftTemperature: 0, window: 4 });
    client = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: "none", maxRetries: 0 });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("cuts whole completions before the first stop", async () => {
    for (const [i, prompt] of PROMPTS.entries()) {
      const ref = references[i]!;
      assert.ok(ref.text.length >= 12, `prompt ${i}: an answer long enough to cut`);
      for (const stop of stopsFor(ref)) {
        const expected = cutAtStop(ref, stop);
        const answer = await client.completions.create({
          model: MODEL,
          prompt,
          max_tokens: MAX_TOKENS,
          temperature: 0,
          stop,
        });
        const label = `prompt ${i}, stop ${JSON.stringify(stop)}`;
        assert.equal(answer.choices[0]!.text, expected.text, label);
        assert.equal(answer.choices[0]!.finish_reason, "stop", label);
        assert.equal(answer.usage?.completion_tokens, expected.completionTokens, label);
      }
    }
  });

  it("streams the same text, never a part of a stop sequence", async () => {
    for (const [i, prompt] of PROMPTS.entries()) {
      const ref = references[i]!;
      for (const stop of stopsFor(ref)) {
        const expected = cutAtStop(ref, stop);
        const stream = await client.completions.create({
          model: MODEL,
          prompt,
          max_tokens: MAX_TOKENS,
          temperature: 0,
          stop,
          stream: true,
          stream_options: { include_usage: true },
        });
        let text = "";
        let finish: string | null = null;
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of stream) {
          const piece = chunk.choices[0]?.text ?? "";
          text += piece;
          // What the client has seen is always a prefix of the answer cut at the stop.
          assert.ok(expected.text.startsWith(text), `prompt ${i}: ${JSON.stringify(text)} leaks past the stop`);
          finish = chunk.choices[0]?.finish_reason ?? finish;
          usage = chunk.usage ?? usage;
        }
        assert.equal(text, expected.text);
        assert.equal(finish, "stop");
        assert.equal(usage?.completion_tokens, expected.completionTokens);
      }
    }
  });

  it("leaves an answer without its stop sequence whole", async () => {
    const ref = references[0]!;
    const answer = await client.completions.create({
      model: MODEL,
      prompt: PROMPTS[0]!,
      max_tokens: MAX_TOKENS,
      temperature: 0,
      stop: ["\u0000never", "zzzz"],
    });
    assert.equal(answer.choices[0]!.text, ref.text);
    assert.equal(answer.choices[0]!.finish_reason, ref.finishReason);
    assert.equal(answer.usage?.completion_tokens, ref.tokens.length);
  });

  it("refuses bad stop fields with a 400 naming stop", async () => {
    for (const stop of [["a", "b", "c", "d", "e"], "", [""], 5, ["\ud800"]]) {
      const response = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: MODEL, prompt: "Once", stop }),
      });
      const body = (await response.json()) as { error: { param: string | null } };
      assert.equal(response.status, 400, `stop ${JSON.stringify(stop)}: ${JSON.stringify(body)}`);
      assert.ok(body.error.param?.startsWith("stop"), `stop ${JSON.stringify(stop)}: param ${body.error.param}`);
    }
  });
});
