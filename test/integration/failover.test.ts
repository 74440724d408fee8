import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ANY_ID,
  RoundReports,
  eachRound,
  SessionStream,
  WorkerPower,
  type RoundReport,
  type SessionEvent,
} from "#contracts";
import type { LocalFleet } from "#infra";
import { complete, streamCompletion, type CompletionResult } from "../support/openai-client.js";
import { MODEL, MODEL_PATH } from "../support/fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const MAX_TOKENS = 240;
const PROMPTS = ["Once upon a time", "The little dog", "One day, a big bird"];

/**
 * Failover mid-stream, by SIGKILL: three verifiers and three drafters reach NATS through a proxy
 * adding 10 ms each way (so a session lasts long enough to be hit). Killing the verifier of a
 * streaming session has it resumed on the other verifier from its journal; killing its drafter
 * has the verifier go on alone and take the other drafter; draining a verifier moves its
 * session. In every case the client's stream is token-identical to the target alone, with no
 * gap and no duplicate.
 */
describe("failover mid-stream", () => {
  let harness: ProxiedFleet;
  let fleet: LocalFleet;
  let reference: ReferenceCompletions;
  const events = new Map<string, SessionEvent[]>();
  const rounds: RoundReport[] = [];
  let power: (workerId: string, level: number) => Promise<unknown>;

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    harness = await startProxiedFleet("failover", {
      verifiers: ["verifier-1", "verifier-2", "verifier-3"],
      drafters: ["drafter-1", "drafter-2", "drafter-3"],
      maxSessions: 4,
      window: 4,
      serviceEnv: {
        registry: { REGISTRY_LOST_AFTER_MS: "1500", REGISTRY_DEGRADED_AFTER_MS: "1200" },
        scheduler: { SCHEDULER_REBALANCE_MS: "500" },
        "draft-worker": { VERIFY_TIMEOUT_MS: "3000" },
      },
    });
    fleet = harness.fleet;
    const { bus } = harness;
    bus.subscribe(SessionStream, ANY_ID, (event) =>
      events.set(event.sessionId, [...(events.get(event.sessionId) ?? []), event]),
    );
    bus.subscribe(
      RoundReports,
      "",
      eachRound((report) => rounds.push(report)),
    );
    power = (workerId, level) => bus.request(WorkerPower, workerId, { source: "battery", level }, 2000);
    await bus.nc.flush();
  });

  after(async () => {
    await harness?.stop();
  });

  /** Streams `prompt`; once `after` tokens have arrived, calls `strike` with the session's opening event. */
  async function streamAndStrike(
    prompt: string,
    after: number,
    strike: (opened: Extract<SessionEvent, { kind: "opened" }>) => Promise<void>,
  ): Promise<{ result: CompletionResult; sessionId: string }> {
    const known = new Set(events.keys());
    let struck: Promise<void> = Promise.resolve();
    let fired = false;
    let sessionId = "";
    const result = await streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt, max_tokens: MAX_TOKENS },
      (soFar) => {
        if (fired || soFar.tokenIds.length < after) return;
        fired = true;
        sessionId =
          [...events.keys()].find((id) => !known.has(id) && events.get(id)!.some((e) => e.kind === "tokens")) ?? "";
        const opened = events.get(sessionId)?.find((e) => e.kind === "opened");
        assert.ok(opened?.kind === "opened", "the session's opening event was seen");
        struck = strike(opened);
      },
    );
    await struck;
    return { result, sessionId };
  }

  /**
   * Asks for `prompt`'s whole answer (not streamed: its verifier batches its tokens events); once
   * the session's second tokens event has come (tokens held back since, in the verifier's next
   * batch), calls `strike` with the session's opening event.
   */
  async function completeAndStrike(
    prompt: string,
    strike: (opened: Extract<SessionEvent, { kind: "opened" }>) => Promise<void>,
  ): Promise<{ result: CompletionResult; sessionId: string }> {
    const known = new Set(events.keys());
    const answer = complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS });
    const deadline = Date.now() + 30_000;
    let sessionId: string | undefined;
    while (!sessionId && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      sessionId = [...events.keys()].find(
        (id) => !known.has(id) && events.get(id)!.some((e) => e.kind === "tokens" && e.index > 0),
      );
    }
    assert.ok(sessionId, "the session's second tokens event came");
    const opened = events.get(sessionId)!.find((e) => e.kind === "opened");
    assert.ok(opened?.kind === "opened", "the session's opening event was seen");
    await strike(opened);
    const result = await answer;
    assert.equal(result.status, 200, JSON.stringify(result.body));
    return { result: { ...result, done: true }, sessionId };
  }

  async function assertIdentical(result: CompletionResult, prompt: string): Promise<void> {
    const expected = await reference.for(prompt, result.tokenIds);
    assert.equal(result.tokenIds.length, expected.tokens.length, "no token lost or duplicated");
    assert.deepEqual(result.tokenIds, expected.tokens);
    assert.equal(result.text, expected.text);
    assert.equal(result.done, true);
  }

  it("a verifier killed mid-stream: the session resumes on the other verifier", async () => {
    const prompt = PROMPTS[0]!;
    const { result, sessionId } = await streamAndStrike(prompt, 40, async (opened) =>
      fleet.processes.get(opened.verifierId)!.kill("SIGKILL"),
    );
    await assertIdentical(result, prompt);
    const opens = events.get(sessionId)!.filter((e) => e.kind === "opened");
    assert.equal(opens.length, 2, "opened once, then resumed once");
    assert.notEqual(opens[0]!.verifierId, opens[1]!.verifierId);
    assert.ok(
      opens[1]!.kind === "opened" && (opens[1]!.resumedAt ?? 0) >= 40,
      "resumed from the journal, after the tokens already sent",
    );
    const tokenEvents = events.get(sessionId)!.filter((e) => e.kind === "tokens");
    assert.ok(
      tokenEvents.some((e) => e.kind === "tokens" && e.index > 0),
      "the resumed verifier replayed and went on",
    );
  });

  it("a verifier killed mid-answer (not streamed: tokens held back in batches): the answer is whole", async () => {
    const prompt = PROMPTS[1]!;
    let killed = "";
    const { result, sessionId } = await completeAndStrike(prompt, async (opened) => {
      killed = opened.verifierId;
      fleet.processes.get(killed)!.kill("SIGKILL");
    });
    // Back for the cases after this one, which need two verifiers besides the one killed first.
    await fleet.restart(killed);
    await assertIdentical(result, prompt);
    const opens = events.get(sessionId)!.filter((e) => e.kind === "opened");
    assert.equal(opens.length, 2, "opened once, then resumed once");
    const tokenEvents = events.get(sessionId)!.filter((e) => e.kind === "tokens");
    const sessionRounds = rounds.filter((r) => r.sessionId === sessionId).length;
    assert.ok(
      tokenEvents.length < sessionRounds / 2,
      `${tokenEvents.length} tokens events for ${sessionRounds} rounds: batched`,
    );
  });

  it("a drained verifier hands a batched session (not streamed) to another without losing a token", () =>
    drainMidRequest(PROMPTS[0]!, completeAndStrike));

  it("a drafter killed mid-stream: the verifier goes on and takes the other drafter", async () => {
    const prompt = PROMPTS[1]!;
    let killed = "";
    const { result, sessionId } = await streamAndStrike(prompt, 40, async (opened) => {
      killed = opened.drafterId!;
      fleet.processes.get(killed)!.kill("SIGKILL");
    });
    await assertIdentical(result, prompt);
    const drafters = new Set(rounds.filter((r) => r.sessionId === sessionId).map((r) => r.drafterId));
    assert.ok(drafters.has(killed));
    assert.ok(drafters.size >= 2, `rounds by ${[...drafters].join(", ")}: another drafter took over`);
  });

  it("a drafter going on low battery: the scheduler re-pairs the session with another drafter", async () => {
    const prompt = PROMPTS[0]!;
    let drained = "";
    const { result, sessionId } = await streamAndStrike(prompt, 30, async (opened) => {
      drained = opened.drafterId!;
      await power(drained, 0.05);
    });
    await assertIdentical(result, prompt);
    const drafters = rounds.filter((r) => r.sessionId === sessionId).map((r) => r.drafterId);
    assert.equal(drafters[0], drained);
    assert.notEqual(
      drafters.at(-1),
      drained,
      `rounds by ${[...new Set(drafters)].join(", ")}: the session left the drafter on battery`,
    );
    await power(drained, 1);
  });

  it("a drained verifier hands its session to another without losing a token", () =>
    drainMidRequest(PROMPTS[2]!, (prompt, strike) => streamAndStrike(prompt, 30, strike)));

  /** Drains the verifier of `prompt`'s session mid-request (`send`): the session moves, and the answer is whole. */
  async function drainMidRequest(prompt: string, send: typeof completeAndStrike): Promise<void> {
    let drained = "";
    const { result, sessionId } = await send(prompt, async (opened) => {
      drained = opened.verifierId;
      const response = await fetch(`${fleet.gatewayUrl}/admin/devices/${drained}/drain`, { method: "POST" });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { state: string }).state, "draining");
    });
    await assertIdentical(result, prompt);
    const opens = events.get(sessionId)!.filter((e) => e.kind === "opened");
    assert.ok(
      opens.length >= 2 && opens.at(-1)!.kind === "opened" && opens.at(-1)!.verifierId !== drained,
      "moved off the drained verifier",
    );
    const undrained = await fetch(`${fleet.gatewayUrl}/admin/devices/${drained}/undrain`, { method: "POST" });
    assert.equal(((await undrained.json()) as { state: string }).state, "ready");
  }
});
