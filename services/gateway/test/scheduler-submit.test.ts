import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CompletionJob, SubmitReply } from "#contracts";
import { NoResponderError, PeerError, RequestTimeoutError, type ContractBus } from "#transport";
import { submitToScheduler } from "../src/completions/scheduler-submit.js";

const job = {
  sessionId: "cmpl-1",
  model: "m",
  prompt: "Once",
  maxTokens: 8,
  window: null,
  sampling: { temperature: 0, topK: 0, topP: 1, seed: 0, seeded: false },
  priority: 0,
  submittedAt: 0,
} as CompletionJob;

/** A bus whose submissions go as `answers` say, in order: an error is thrown (a timeout after its wait), a reply returned. */
function busAnswering(answers: Array<Error | SubmitReply>) {
  const sent: number[] = [];
  const bus = {
    request: async (_contract: unknown, _id: string, _payload: unknown, timeoutMs: number) => {
      sent.push(timeoutMs);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no more answers");
      // A late answer takes the whole wait, as the bus's would.
      if (answer instanceof RequestTimeoutError) await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as Pick<ContractBus, "request">;
  return { bus, sent };
}

describe("submitToScheduler", () => {
  it("sends again while no scheduler listens (a standby taking over), then takes the reply", async () => {
    const reply: SubmitReply = { ok: true, sessionId: "cmpl-1", queued: false };
    const noOne = new NoResponderError("specfleet.scheduler.submit");
    const { bus, sent } = busAnswering([noOne, noOne, reply]);
    assert.deepEqual(await submitToScheduler(bus, job, { withinMs: 2000, retryMs: 5 }), reply);
    assert.equal(sent.length, 3);
  });

  it("gives up on no responders once its time is up", async () => {
    const noOne = () => new NoResponderError("specfleet.scheduler.submit");
    const { bus, sent } = busAnswering(Array.from({ length: 100 }, noOne));
    await assert.rejects(submitToScheduler(bus, job, { withinMs: 50, retryMs: 10 }), NoResponderError);
    assert.ok(sent.length >= 2 && sent.length <= 6, `sent ${sent.length} times`);
  });

  it("sends again a submission left unanswered (it may have reached a leader as it died)", async () => {
    const reply: SubmitReply = { ok: true, sessionId: "cmpl-1", queued: false };
    const late = new RequestTimeoutError("specfleet.scheduler.submit", 30);
    const { bus, sent } = busAnswering([late, reply]);
    assert.deepEqual(await submitToScheduler(bus, job, { withinMs: 2000, retryMs: 5, attemptMs: 30 }), reply);
    assert.deepEqual(sent, [30, 30], "each sending waits attemptMs, within the budget");
  });

  it("gives up on unanswered submissions once its time is up", async () => {
    const late = () => new RequestTimeoutError("specfleet.scheduler.submit", 20);
    const { bus, sent } = busAnswering(Array.from({ length: 100 }, late));
    await assert.rejects(
      submitToScheduler(bus, job, { withinMs: 50, retryMs: 10, attemptMs: 20 }),
      RequestTimeoutError,
    );
    assert.ok(sent.length >= 1 && sent.length <= 5, `sent ${sent.length} times`);
    assert.ok(sent.every((ms) => ms <= 20));
  });

  it("a refusal is not sent again", async () => {
    const refusal = new PeerError("specfleet.scheduler.submit", { code: "bad_request", message: "no" });
    const { bus, sent } = busAnswering([refusal]);
    await assert.rejects(submitToScheduler(bus, job, { withinMs: 2000, retryMs: 5 }), PeerError);
    assert.equal(sent.length, 1);
  });
});
