import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { referenceCompletions, type ReferenceCompletion } from "../support/reference.js";
import { fleetTotals } from "../support/telemetry.js";

const MAX_TOKENS = 128;

/**
 * The centre of SpecFleet: 8 concurrent requests through separate-process actors over a real
 * NATS server must be token-identical to the target model decoding alone.
 */
for (const scenario of [
  { name: "greedy drafters", draftTemperature: 0, minRollbacks: 0 },
  // Drafting by sampling at temperature 1 disagrees with the target often: hundreds of rejections.
  { name: "disagreeing drafters", draftTemperature: 1, minRollbacks: 100 },
]) {
  describe(`lossless decoding across the fleet (${scenario.name})`, () => {
    let fleet: LocalFleet;
    let reference: Map<string, ReferenceCompletion>;

    before(async () => {
      reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
      fleet = await startTestFleet(`lossless-t${scenario.draftTemperature}`, {
        verifiers: 2,
        drafters: 2,
        maxSessions: 4,
        draftTemperature: scenario.draftTemperature,
      });
    });

    after(async () => {
      await fleet?.stop();
    });

    it("answers 8 concurrent requests, streamed and not, exactly as the target alone", async () => {
      const requests = Array.from({ length: 8 }, (_, i) => ({
        prompt: PROMPTS[i % PROMPTS.length]!,
        stream: i % 2 === 1,
      }));
      const results = await Promise.all(
        requests.map((r) => complete(fleet.gatewayUrl, {
            model: MODEL,
            prompt: r.prompt,
            max_tokens: MAX_TOKENS,
            temperature: 0,
            stream: r.stream,
            ...(r.stream ? { stream_options: { include_usage: true } } : {}),
          })),
      );
      results.forEach((result, i) => {
        const { prompt, stream } = requests[i]!;
        const expected = reference.get(prompt)!;
        const label = `request ${i} (${stream ? "streamed" : "whole"}, "${prompt}")`;
        assert.equal(result.status, 200, `${label}: ${JSON.stringify(result.body)}`);
        assert.deepEqual(result.tokenIds, expected.tokens, `${label}: tokens differ from the target alone`);
        assert.equal(result.text, expected.text, `${label}: text differs`);
        assert.equal(result.finishReason, expected.finishReason, `${label}: finish_reason`);
        assert.equal(result.usage?.completion_tokens, expected.tokens.length, `${label}: usage`);
        if (stream) {
          assert.ok(result.done, `${label}: stream must end with [DONE]`);
          assert.ok(result.chunks > 1, `${label}: tokens must arrive in several chunks`);
        }
      });
    });

    it("ran real speculation: rounds, drafts and (for the disagreeing drafter) many rollbacks", async (t) => {
      const totals = await fleetTotals(fleet.natsUrl, "verifier");
      t.diagnostic(`verifier totals: ${JSON.stringify(totals)}`);
      assert.ok(totals.rounds > 0, "verifiers report rounds");
      assert.ok(totals.draftedTokens > totals.rounds, "drafters sent several tokens per round");
      assert.ok(totals.rollbacks >= scenario.minRollbacks, `expected at least ${scenario.minRollbacks} rollbacks, saw ${totals.rollbacks}`);
      if (scenario.draftTemperature === 0) {
        assert.ok(totals.acceptedTokens / totals.draftedTokens > 0.9, "a greedy copy of the target is accepted almost always");
      }
    });
  });
}
