import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GREEDY_SAMPLING, type CompletionJob } from "#contracts";
import { inSpan, startTracing, stopTracing } from "#tracing";
import type { PlacedSession } from "../src/sessions/session-table.js";
import { SessionTraces } from "../src/sessions/session-traces.js";
import { OtlpReceiver } from "../../../test/support/otlp-receiver.js";

function placed(sessionId: string): PlacedSession {
  const job: CompletionJob = {
    sessionId,
    model: "m",
    prompt: "p",
    maxTokens: 8,
    window: null,
    sampling: GREEDY_SAMPLING,
    priority: 0,
    submittedAt: 1_000,
  };
  return {
    job,
    verifierId: "v1",
    drafterId: "d1",
    placedAt: 1_250,
    wantsDrafter: true,
    startedAt: {},
    promptTokens: null,
    generatedTokens: 0,
  };
}

/**
 * A request's trace through the scheduler, exported to a real OTLP/HTTP receiver: its opening
 * joins the request's trace even from another request's queue pass; a resume starts a trace
 * linked to it; a session the scheduler never admitted (restored after a restart) starts its own.
 */
describe("SessionTraces", () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await OtlpReceiver.start();
    startTracing({ serviceName: "scheduler", endpoint: receiver.url, sampleRatio: 1, instance: "s" });
  });
  after(async () => {
    await stopTracing();
    await receiver?.stop();
  });

  it("opens in the request's trace, resumes in a linked one, forgets at the end", async () => {
    const traces = new SessionTraces();
    const a = placed("a");
    await inSpan("submit a", {}, () =>
      traces.admitted(a.job, {
        kind: "place",
        waiting: null,
        decision: { kind: "pair", verifierId: "v1", drafterId: "d1" },
      }),
    );
    await inSpan("submit b", {}, () => traces.admitted(placed("b").job, undefined));
    // A's open runs in the queue pass B's submit started: it still belongs to A's trace.
    await inSpan("submit b's queue pass", {}, () => traces.opening(a, false, async () => undefined));
    await traces.opening(a, true, async () => undefined);
    await traces.opening(placed("restored"), false, async () => undefined);
    traces.ended("a");
    await traces.opening(a, true, async () => undefined);
    await stopTracing();

    const span = (name: string) => receiver.spans.filter((s) => s.name === name);
    const [submitA] = span("submit a");
    const [submitB] = span("submit b");
    assert.ok(submitA && submitB);
    assert.equal(submitA.attributes["specfleet.admission"], "place");
    assert.equal(submitA.attributes["specfleet.drafter.id"], "d1");
    assert.equal(submitB.attributes["specfleet.admission"], "queue");
    const opens = span("scheduler open session");
    assert.equal(opens.length, 2);
    assert.equal(opens[0]!.traceId, submitA.traceId);
    assert.equal(opens[0]!.parentSpanId, submitA.spanId);
    assert.equal(opens[0]!.attributes["specfleet.waited_ms"], 250);
    assert.equal(opens[1]!.parentSpanId, "", "a session never admitted here opens in a trace of its own");
    const resumes = span("scheduler resume session");
    assert.equal(resumes.length, 2);
    assert.notEqual(resumes[0]!.traceId, submitA.traceId);
    assert.equal(resumes[0]!.parentSpanId, "");
    assert.deepEqual(resumes[0]!.links, [{ traceId: submitA.traceId, spanId: submitA.spanId }]);
    assert.deepEqual(resumes[1]!.links, [], "forgotten once the session ended");
  });
});
