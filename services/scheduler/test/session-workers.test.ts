import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GREEDY_SAMPLING, type AnyContract, type CompletionJob } from "#contracts";
import { createLogger } from "#logging";
import type { ContractBus } from "#transport";
import { NatsSessionWorkers } from "../src/sessions/session-workers.js";

/** A bus that answers each contract's request from `replies` and records what was asked. */
function recordingBus(replies: Record<string, unknown>) {
  const asked: Array<{ subject: string; payload: Record<string, unknown> }> = [];
  const bus = {
    publish: () => undefined,
    request: (contract: AnyContract, _id: string, payload: Record<string, unknown>) => {
      asked.push({ subject: contract.subject, payload });
      const reply = replies[contract.subject];
      return reply === undefined
        ? Promise.reject(new Error(`no reply for ${contract.subject}`))
        : Promise.resolve(reply);
    },
  };
  return { bus: bus as unknown as ContractBus, asked };
}

const job: CompletionJob = {
  sessionId: "s1",
  model: "m",
  prompt: "p",
  maxTokens: 100,
  window: null,
  sampling: GREEDY_SAMPLING,
  priority: 0,
  submittedAt: 1_000,
};

/**
 * A drafter that follows a session part-way (a verifier resumed it, or a drafter is attached to a
 * session decoding alone) is asked for the tokens still to generate, not the request's whole
 * max_tokens: its context must hold the committed tokens plus the rest only (a 480-token request
 * in a 512-token context was refused after a move).
 */
describe("NatsSessionWorkers: the drafter's budget", () => {
  const log = createLogger("scheduler", "silent");
  const drafterOpen = (asked: ReturnType<typeof recordingBus>["asked"]) =>
    asked.find((a) => a.subject.startsWith("specfleet.drafter."))!.payload;

  it("a resumed session's drafter gets max_tokens minus what was generated", async () => {
    const { bus, asked } = recordingBus({
      "specfleet.verifier.{id}.open": {
        ok: true,
        promptTokens: [1, 2, 3],
        generatedTokens: [4, 5, 6, 7],
        position: 7,
        finished: false,
      },
      "specfleet.drafter.{id}.open": { ok: true },
    });
    const outcome = await new NatsSessionWorkers(bus, log, 1000).open(job, "v1", "d1", true);
    assert.equal(outcome.kind, "opened");
    assert.deepEqual(drafterOpen(asked).committedTokens, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(drafterOpen(asked).maxTokens, 96);
  });

  it("a new session's drafter gets the whole max_tokens", async () => {
    const { bus, asked } = recordingBus({
      "specfleet.verifier.{id}.open": {
        ok: true,
        promptTokens: [1, 2],
        generatedTokens: [],
        position: 2,
        finished: false,
      },
      "specfleet.drafter.{id}.open": { ok: true },
    });
    await new NatsSessionWorkers(bus, log, 1000).open(job, "v1", "d1", false);
    assert.equal(drafterOpen(asked).maxTokens, 100);
  });

  it("a drafter attached mid-session gets what the verifier says is left", async () => {
    const { bus, asked } = recordingBus({
      "specfleet.verifier.{id}.attach": {
        ok: true,
        committedTokens: [1, 2, 3, 4],
        maxTokens: 58,
        sampling: GREEDY_SAMPLING,
      },
      "specfleet.drafter.{id}.open": { ok: true },
    });
    assert.equal(await new NatsSessionWorkers(bus, log, 1000).attachDrafter(job, "v1", "d1"), true);
    assert.equal(drafterOpen(asked).maxTokens, 58);
  });
});
