import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { projectRoot, type LocalFleet } from "#infra";
import { ensureDerivedModel, RECIPES } from "#models";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { complete } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";
import { fleetTotals } from "../support/telemetry.js";

const MAX_TOKENS = 64;

/**
 * Fused execution: a verifier with a co-located draft model (SELF_DRAFT_MODEL, here the q4_0
 * copy of the target, which the target sometimes rejects) and no drafter process drafts for
 * itself. Concurrent greedy answers equal the target decoding alone, token for token, with
 * drafts accepted and rejected along the way (greedy windows and passes on the native runner, as
 * scripts/setup.sh builds it); a seeded sampled request (node-llama-cpp's drafting, for q) gives
 * the same text twice.
 */
describe("a verifier drafting for itself", () => {
  let fleet: LocalFleet;
  let reference: ReferenceCompletions;
  const prompts = PROMPTS.slice(0, 4);

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, prompts, MAX_TOKENS);
    const draft = await ensureDerivedModel(MODEL_PATH, RECIPES.q4_0, join(projectRoot(), ".cache", "models"));
    fleet = await startTestFleet("self-draft", {
      verifiers: 1,
      drafters: 0,
      maxSessions: 4,
      serviceEnv: { "verify-worker": { SELF_DRAFT_MODEL: draft } },
    });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("answers concurrent greedy requests exactly as the target alone, drafting as it goes", async () => {
    const before = await fleetTotals(fleet, "verifier");
    const results = await Promise.all(
      prompts.map((prompt) => complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS })),
    );
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 200, JSON.stringify(result.body));
      const expected = await reference.for(prompts[i]!, result.tokenIds);
      assert.deepEqual(result.tokenIds, expected.tokens, `prompt ${i}: ${prompts[i]}`);
    }
    const after = await fleetTotals(fleet, "verifier");
    const drafted = after.draftedTokens - before.draftedTokens;
    const accepted = after.acceptedTokens - before.acceptedTokens;
    assert.ok(drafted > 0, "the verifier drafted for itself");
    assert.ok(accepted > 0 && accepted < drafted, `some drafts accepted, some rejected (${accepted}/${drafted})`);
    assert.ok(after.rounds - before.rounds < MAX_TOKENS * prompts.length, "fewer rounds than tokens");
    const log = readFileSync(join(projectRoot(), ".cache", "test-logs", "self-draft", "verifier-1.log"), "utf8");
    assert.match(log, /"native":true[^\n]*co-located draft model loaded/, "greedy windows drafted natively");
    assert.match(log, /greedy sessions verified on the native runner/, "greedy passes on the native runner");
  });

  it("gives a seeded sampled request the same text every time", async () => {
    const request = { model: MODEL, prompt: prompts[0], max_tokens: 48, temperature: 0.8, seed: 7 };
    const first = await complete(fleet.gatewayUrl, request);
    const second = await complete(fleet.gatewayUrl, request);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(second.tokenIds, first.tokenIds);
  });
});
