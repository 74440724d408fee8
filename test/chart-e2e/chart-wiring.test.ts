import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import { ContractBus } from "#transport";
import pino from "pino";
import { MODEL_PATH } from "../support/fleet.js";
import { connectToFleet } from "../support/fleet-nats.js";
import { complete, streamCompletion, type CompletionResult } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";
import { imageName } from "./container-command.js";
import type { LocalPod } from "./local-pod.js";
import { RenderedFleet } from "./rendered-fleet.js";
import { localModelPools, MODEL } from "./test-values.js";

const MAX_TOKENS = 120;
const PROMPTS = ["Once upon a time", "The little dog", "Lily and Ben went to the park. They"];
// The drained verifier's stream. Twice it plus the prompt stays within the pools' 512-token context:
// a session resumed elsewhere is counted as needing prompt + committed + max_tokens (the scheduler's
// count today), and beyond the context the drafter is refused and the rest is decoded target-only.
const DRAIN_PROMPT = "One day, a big bird";
const DRAIN_MAX_TOKENS = 240;
// Each verify round waits this long for others to batch with (VERIFY_BATCH_WAIT_MS): the drained
// stream's ~48 rounds last 19 s or more on any machine, while the preStop hook (a node process that
// loads the whole CLI) has been seen to take 14 s to reach the worker on a loaded 2-core machine.
const ROUND_FLOOR_MS = 400;

/**
 * Issue 15's end-to-end test of the chart without a cluster: the rendered pods' commands run as
 * local processes (rendered-fleet.ts says what is rewritten), completions go through the
 * rendered gateway Service and equal the target model decoding alone, the rendered `helm test`
 * pod passes, and a verifier pod terminated mid-stream (its preStop, then SIGTERM) drains, exits
 * 0, and the stream loses no token.
 */
describe("the chart's wiring, run as local processes", () => {
  let fleet: RenderedFleet;
  let gatewayUrl: string;
  let reference: ReferenceCompletions;
  let drainReference: ReferenceCompletions;
  let bus: ContractBus;
  const valuesDir = mkdtempSync(join(tmpdir(), "specfleet-chart-e2e-values-"));
  const events = new Map<string, SessionEvent[]>();

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    drainReference = await referenceCompletions(MODEL_PATH, [DRAIN_PROMPT], DRAIN_MAX_TOKENS);
    fleet = await RenderedFleet.start({
      name: "chart-e2e",
      // Two verifier replicas, so a drained one's sessions have somewhere to go; a floor under a
      // round's time, so a stream is still running when its verifier is terminated.
      valuesFiles: [
        "helm/specfleet/ci/minimal.yaml",
        localModelPools(valuesDir, {
          verifyReplicas: 2,
          verifyEnv: { VERIFY_BATCH_WAIT_MS: String(ROUND_FLOOR_MS) },
          draftEnv: { WINDOW: "4" },
        }),
      ],
    });
    gatewayUrl = fleet.serviceUrlOf("gateway");
    // An operator's view of the sessions, with the admin credential `specfleet secrets init` made.
    const nats = fleet.pods.find((pod) => imageName(pod.identity.workload.spec.containers[0]!.image) === "nats")!;
    const clientPort = nats.portOf(nats.identity.workload.spec.containers[0]!.ports![0]!.containerPort);
    const nc = await connectToFleet({ url: `nats://127.0.0.1:${clientPort}`, creds: adminCreds(fleet) }, "admin");
    bus = new ContractBus(nc, pino({ level: "silent" }), "admin");
    bus.subscribe(SessionStream, ANY_ID, (event) =>
      events.set(event.sessionId, [...(events.get(event.sessionId) ?? []), event]),
    );
    await nc.flush();
  });

  after(async () => {
    await bus?.nc.close();
    await fleet?.stop();
    rmSync(valuesDir, { recursive: true, force: true });
  });

  async function assertIdentical(result: CompletionResult, prompt: string): Promise<void> {
    const expected = await (prompt === DRAIN_PROMPT ? drainReference : reference).for(prompt, result.tokenIds);
    assert.deepEqual(result.tokenIds, expected.tokens, `${prompt}: token for token the target alone`);
    assert.equal(result.text, expected.text);
  }

  it("greedy completions through the rendered gateway Service equal the target alone", async () => {
    const results = await Promise.all(
      PROMPTS.map((prompt) => complete(gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS })),
    );
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 200, JSON.stringify(result.body));
      await assertIdentical(result, PROMPTS[i]!);
    }
  });

  it("the rendered `helm test` pod sends a completion and passes", async () => {
    const results = await fleet.runHelmTests();
    assert.ok(results.length > 0, "the render has a helm test pod");
    for (const result of results) assert.equal(result.code, 0, `${result.pod}:\n${result.output}`);
  });

  it("a verifier pod terminated mid-stream (preStop, then SIGTERM) drains, exits 0, and the stream loses no token", async () => {
    const prompt = DRAIN_PROMPT;
    const known = new Set(events.keys());
    let termination: ReturnType<LocalPod["terminate"]> | undefined;
    let terminated = "";
    const result = await streamCompletion(
      gatewayUrl,
      { model: MODEL, prompt, max_tokens: DRAIN_MAX_TOKENS },
      (soFar) => {
        if (terminated !== "" || soFar.tokenIds.length === 0) return;
        const sessionId = [...events.keys()].find((id) => !known.has(id));
        const opened = sessionId === undefined ? undefined : events.get(sessionId)!.find((e) => e.kind === "opened");
        if (opened?.kind !== "opened") return;
        terminated = opened.verifierId;
        termination = fleet.pod(terminated).terminate();
      },
    );
    assert.notEqual(terminated, "", "the stream's verifier was seen before the stream ended");
    const exits = await termination!;
    await assertIdentical(result, prompt);
    assert.equal(result.done, true);
    for (const [container, exit] of exits) {
      assert.ok(exit.preStop, `${container} has a preStop hook (the drain, before SIGTERM)`);
      assert.equal(exit.preStop.code, 0, `${container}'s preStop: ${exit.preStop.output}`);
      assert.deepEqual(
        { code: exit.code, signal: exit.signal },
        { code: 0, signal: null },
        `${container} drained and exited 0`,
      );
    }
    const sessionId = [...events.keys()].find((id) => !known.has(id))!;
    const opens = events.get(sessionId)!.filter((e) => e.kind === "opened");
    assert.ok(
      opens.some((e) => e.kind === "opened" && e.verifierId !== terminated),
      `the session moved off ${terminated} (opened on ${opens.map((e) => (e.kind === "opened" ? e.verifierId : "")).join(", ")})`,
    );
  });
});

/** The `<p>-admin` Secret's NATS credential (operators' and `helm test`'s). */
function adminCreds(fleet: RenderedFleet): string {
  const gateway = fleet.podsServing("gateway")[0]!;
  const secretVolume = (gateway.identity.workload.spec.volumes ?? []).find((v) =>
    v.secret?.secretName.endsWith("-gateway"),
  );
  const prefix = secretVolume!.secret!.secretName.replace(/-gateway$/, "");
  return fleet.secret(`${prefix}-admin`, "nats.creds");
}
