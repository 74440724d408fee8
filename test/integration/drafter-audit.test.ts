import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { NatsConnection, Subscription } from "nats";
import { projectRoot, type LocalFleet } from "#infra";
import {
  createLlama,
  createSessionContext,
  decodeAloneInProcess,
  loadModel,
  ModelSession,
  tokenizePrompt,
} from "#llama";
import { deriveModel } from "#models";
import type { SamplingParams } from "#speculation";
import { chiSquareHomogeneity, countOutcomes, totalVariation } from "#stats";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { connectToFleet } from "../support/fleet-nats.js";
import { fleetTotals } from "../support/telemetry.js";

const PROMPT = "Once upon a time, there was a";
const LENGTH = 3;
const SAMPLES = 400;
/** The fleet's requests carry seeds `FLEET_SEEDS + i`: the same sample, and verdict, every run (test/integration/sampling.test.ts says why). */
const FLEET_SEEDS = 4_000_000;
const DRAFTER = "drafter-l4";
const LIAR = pathToFileURL(join(projectRoot(), "dist", "test", "support", "lying-drafter.js")).href;

interface QuarantineSeen {
  subject: string;
  workerId: string;
  reason: string;
  evidence: Record<string, unknown>;
}

/**
 * The verifier audits its drafter (services/verify-worker/src/audit): one verifier that may load
 * the drafter's model and recomputes every sampled round (VERIFY_AUDIT_FRACTION = 1), one drafter
 * with 4 of the target's 5 layers. Honest, it is never flagged and the output is distributed as
 * the target alone; restarted with a forged q (test/support/lying-drafter.ts), it is caught at its
 * first round, the seeded request it drafted for comes out exactly as the target alone decodes
 * it, and the verifier asks the registry to quarantine it.
 */
describe("audited drafters", () => {
  let dir: string;
  let drafterPath: string;
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let subscription: Subscription;
  const quarantines: QuarantineSeen[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-drafter-audit-"));
    drafterPath = join(dir, "L4of5.gguf");
    await deriveModel(MODEL_PATH, drafterPath, { keepLayers: [0, 1, 2, 4] });
    fleet = await startTestFleet("drafter-audit", {
      verifiers: [{ env: { VERIFY_AUDIT_MODELS: drafterPath, VERIFY_AUDIT_FRACTION: "1" } }],
      drafters: [{ id: DRAFTER, modelPath: drafterPath }],
      maxSessions: 8,
      serviceEnv: { "draft-worker": { WINDOW: "4" } },
    });
    // The admin sees every quarantine a verifier asks for (the registry answers it).
    nc = await connectToFleet(fleet);
    subscription = nc.subscribe("specfleet.fleet.quarantine.>", {
      callback: (err, msg) => {
        if (!err)
          quarantines.push({ subject: msg.subject, ...(JSON.parse(msg.string()) as Omit<QuarantineSeen, "subject">) });
      },
    });
    await nc.flush();
  });

  after(async () => {
    subscription?.unsubscribe();
    await nc?.close();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function targetAlone(count: number, seedBase: number, maxTokens: number, prompt = PROMPT): Promise<string[]> {
    const llama = await createLlama(1);
    try {
      const { model } = await loadModel(llama, MODEL_PATH);
      const context = await createSessionContext(model, { contextSize: 128, sequences: 1, threads: 1 });
      const outcomes: string[] = [];
      for (let i = 0; i < count; i++) {
        const session = await ModelSession.open(context, tokenizePrompt(model, prompt));
        const sampling: SamplingParams = { temperature: 1, topK: 0, topP: 1, seed: seedBase + i };
        outcomes.push((await decodeAloneInProcess(session, { maxTokens, sampling })).join(" "));
        await session.dispose();
      }
      return outcomes;
    } finally {
      await llama.dispose();
    }
  }

  it("never flags an honest drafter, and the output is distributed as the target alone", async (t) => {
    const before = await fleetTotals(fleet, "verifier");
    const outcomes: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < SAMPLES; i += 8) {
          const result = await complete(fleet.gatewayUrl, {
            model: MODEL,
            prompt: PROMPT,
            max_tokens: LENGTH,
            temperature: 1,
            seed: FLEET_SEEDS + i,
          });
          assert.equal(result.status, 200, JSON.stringify(result.body));
          outcomes.push(result.tokenIds.join(" "));
        }
      }),
    );
    const fleetSamples = countOutcomes(outcomes);
    const alone = countOutcomes(await targetAlone(SAMPLES * 2, 3_000_000, LENGTH));
    const same = chiSquareHomogeneity(fleetSamples, alone);
    t.diagnostic(
      `fleet vs target-only: p = ${same.pValue.toFixed(3)}, TV = ${totalVariation(fleetSamples, alone).toFixed(3)}`,
    );
    assert.ok(
      same.pValue > 0.001,
      `χ² = ${same.statistic.toFixed(1)}, df = ${same.degreesOfFreedom}, p = ${same.pValue}`,
    );
    const totals = await fleetTotals(fleet, "verifier");
    assert.ok(totals.draftedTokens - before.draftedTokens > SAMPLES, "the drafter drafted");
    assert.deepEqual(quarantines, [], "an honest drafter was flagged");
  });

  /** The gateway's /readyz lists the drafter and the scheduler has a drafter to pair. */
  async function waitUntilPaired(): Promise<void> {
    for (let waited = 0; waited < 30_000; waited += 100) {
      const body = (await (await fetch(`${fleet.gatewayUrl}/readyz`)).json()) as {
        drafters?: Array<{ id: string }>;
        scheduler_models?: Array<{ drafters: number }>;
      };
      if (body.drafters?.some((d) => d.id === DRAFTER) && body.scheduler_models?.some((m) => m.drafters > 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${DRAFTER} was not placeable again within 30 s`);
  }

  it("catches a drafter that forges q at its first round: target-only output, quarantine asked", async () => {
    await fleet.processes.get(DRAFTER)!.stop();
    await fleet.restart(DRAFTER, { NODE_OPTIONS: `--import ${LIAR}`, LYING_DRAFTER_MODE: "forged-q" });
    // Ready is not yet placeable: wait until the scheduler pairs with it again, or the request goes alone.
    await waitUntilPaired();
    const request = { model: MODEL, prompt: "The little dog", max_tokens: 24, temperature: 1, seed: 4242 };
    const result = await complete(fleet.gatewayUrl, request);
    assert.equal(result.status, 200, JSON.stringify(result.body));
    // No forged round was applied: the session went on alone from its first token.
    const [expected] = await targetAlone(1, request.seed, request.max_tokens, request.prompt);
    assert.equal(result.tokenIds.join(" "), expected);
    for (let waited = 0; quarantines.length === 0 && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(quarantines.length, 1, JSON.stringify(quarantines));
    const [seen] = quarantines;
    assert.equal(seen!.workerId, DRAFTER);
    assert.equal(seen!.subject, "specfleet.fleet.quarantine.verifier-1");
    assert.equal(seen!.evidence.check, "draw");
    assert.equal(seen!.evidence.alarm, "low");
    assert.match(seen!.reason, /not draws from the q sent/);
    // The fleet goes on: a later sampled request completes (target-only, or another drafter).
    const later = await complete(fleet.gatewayUrl, { ...request, seed: 4243 });
    assert.equal(later.status, 200, JSON.stringify(later.body));
  });
});
