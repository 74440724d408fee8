import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { deriveModel, widenModel } from "#models";
import { complete } from "../support/openai-client.js";
import { MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";
import { fleetSnapshot } from "../support/telemetry.js";

const MAX_TOKENS = 64;

/**
 * A fleet whose workers hold different models derived from one source: a widened target and
 * two drafters of different kinds (the original and a q4_0 quantization). All share one
 * vocabulary fingerprint, so they pair; answers equal the widened target decoding alone.
 */
describe("a heterogeneous fleet of derived models", () => {
  let dir: string;
  let fleet: LocalFleet;
  let reference: ReferenceCompletions;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-hetero-"));
    const target = join(dir, "target-w256.gguf");
    const q4 = join(dir, "drafter-q4_0.gguf");
    await widenModel(MODEL_PATH, target, { embd: 256, ff: 512, layers: 8 });
    await deriveModel(MODEL_PATH, q4, { quantize: "q4_0" });
    reference = await referenceCompletions(target, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet("heterogeneous", {
      verifiers: [{ id: "verifier-1", modelPath: target, modelName: "target-w256" }],
      drafters: [
        { id: "drafter-f32", modelPath: MODEL_PATH, env: { DEVICE_CLASS: "edge-f32" } },
        { id: "drafter-q4", modelPath: q4, env: { DEVICE_CLASS: "edge-q4_0" } },
      ],
      maxSessions: 4,
    });
  });

  after(async () => {
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers every worker with one vocabulary fingerprint and its own device class", async () => {
    const workers = (await fleetSnapshot(fleet)).workers;
    assert.deepEqual(new Set(workers.map((w) => w.model.vocabFingerprint)).size, 1);
    assert.deepEqual(workers.map((w) => `${w.workerId}:${w.deviceClass}`).sort(), [
      "drafter-f32:edge-f32",
      "drafter-q4:edge-q4_0",
      "verifier-1:cpu",
    ]);
  });

  it("answers through both kinds of drafter exactly as the widened target alone", async () => {
    const results = await Promise.all(
      PROMPTS.map((prompt) => complete(fleet.gatewayUrl, { model: "target-w256", prompt, max_tokens: MAX_TOKENS })),
    );
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 200, JSON.stringify(result.body));
      const expected = await reference.for(PROMPTS[i]!, result.tokenIds);
      assert.deepEqual(result.tokenIds, expected.tokens, `"${PROMPTS[i]}"`);
    }
    await new Promise((r) => setTimeout(r, 1500)); // one telemetry period after the work
    const drafters = (await fleetSnapshot(fleet)).workers.filter((w) => w.role === "drafter");
    assert.equal(drafters.length, 2);
    // The least-loaded policy spreads 5 concurrent sessions over both drafters.
    for (const drafter of drafters) assert.ok((drafter.telemetry?.rounds ?? 0) > 0, `${drafter.workerId} drafted`);
  });
});
