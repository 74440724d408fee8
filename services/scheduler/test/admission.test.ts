import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { job, scheduler, worker } from "./scheduler-harness.js";

const twoByTwo = () => [
  worker("v1", "verifier"),
  worker("v2", "verifier"),
  worker("d1", "drafter"),
  worker("d2", "drafter"),
];

describe("admission", () => {
  it("decides once: round-robin, driven through submit, alternates between the pairs", async () => {
    const s = scheduler({ policy: "round-robin" });
    s.setFleet(twoByTwo());
    for (let i = 0; i < 4; i++) {
      const reply = await s.admission.submit(job());
      assert.deepEqual(reply.ok && reply.queued, false, "placed at once, not queued");
    }
    await s.settle();
    assert.deepEqual(
      s.workers.calls.map((c) => c.split(" ")[2]),
      ["v1+d1", "v2+d2", "v1+d1", "v2+d2"],
    );
  });

  it("a request with a free pair is placed straight into the durable table, never into the queue", async () => {
    const s = scheduler();
    s.setFleet(twoByTwo());
    const submitted = job();
    const reply = await s.admission.submit(submitted);
    // A verifier that turns out busy sends it back to the queue: the gateway waits as long for its start.
    assert.deepEqual(reply, { ok: true, sessionId: submitted.sessionId, queued: false, startWithinMs: 61_000 });
    assert.ok(s.sessionRepository.stored.has(submitted.sessionId), "written to the table before the reply");
    assert.equal(s.admissionRepository.stored.size, 0);
    await s.settle();
    assert.equal(s.table.get(submitted.sessionId)!.promptTokens, 5, "the verifier's open reply is recorded");
  });

  it("a request sent again while its first submission is being admitted is placed once", async () => {
    // Placed at once, and queued first (every pair busy), then placed when a session ends.
    for (const busy of [false, true]) {
      const s = scheduler();
      s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
      const running = job();
      if (busy) await s.admission.submit(running);
      const submitted = job();
      // The gateway sends again when an answer is late: the second arrives before the first is done.
      const replies = await Promise.all([s.admission.submit(submitted), s.admission.submit(submitted)]);
      assert.ok(replies.every((reply) => reply.ok));
      assert.ok(s.admission.waiting <= 1, "in the queue once at most");
      if (busy) {
        await s.table.remove(running.sessionId);
        s.admission.pump();
      }
      await s.settle();
      const opens = s.workers.calls.filter((call) => call.includes(submitted.sessionId));
      assert.equal(opens.length, 1, `${busy ? "queued first" : "placed at once"}: ${s.workers.calls.join("; ")}`);
    }
  });

  it("waits in the durable queue while every pair is busy, and is placed when a session ends", async () => {
    const s = scheduler();
    s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
    const first = job();
    const second = job();
    await s.admission.submit(first);
    const reply = await s.admission.submit(second);
    // The queue's deadline and an open (the harness's 60 s and 1 s).
    assert.deepEqual(reply, { ok: true, sessionId: second.sessionId, queued: true, startWithinMs: 61_000 });
    assert.ok(s.admissionRepository.stored.has(second.sessionId));
    await s.table.remove(first.sessionId);
    s.admission.pump();
    await s.settle();
    assert.ok(s.table.has(second.sessionId));
    assert.equal(s.admissionRepository.stored.size, 0, "taken off the queue once placed");
  });

  it("a new request goes behind those of its model already waiting, in priority order", async () => {
    const s = scheduler();
    s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
    await s.admission.submit(job());
    const low = job({ priority: 5 });
    const high = job({ priority: -5 });
    await s.admission.submit(low);
    await s.admission.submit(high);
    await s.settle();
    const running = s.table.all()[0]!;
    await s.table.remove(running.job.sessionId);
    s.admission.pump();
    await s.settle();
    assert.ok(s.table.has(high.sessionId), "the higher priority went first");
    assert.ok(!s.table.has(low.sessionId));
  });

  it("refuses a model no verifier serves, and a full queue with queue_full", async () => {
    const s = scheduler({ config: { SCHEDULER_QUEUE_LIMIT: 1 } });
    s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
    const unknown = await s.admission.submit(job({ model: "nope" }));
    assert.equal(!unknown.ok && unknown.error.code, "model_not_found");
    await s.admission.submit(job());
    await s.admission.submit(job());
    const full = await s.admission.submit(job());
    assert.equal(!full.ok && full.error.code, "queue_full");
  });

  it("a request that waited past its deadline is told so and leaves the queue", async () => {
    const s = scheduler({ config: { SCHEDULER_QUEUE_TIMEOUT_MS: 100 } });
    s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
    await s.admission.submit(job());
    const late = job();
    await s.admission.submit(late);
    const waiting = s.admissionRepository.stored.get(late.sessionId)!;
    (s.admission as unknown as { line: { entries(): Array<{ since: number }> } }).line
      .entries()
      .forEach((w) => (w.since -= 1000));
    assert.ok(waiting);
    s.admission.pump();
    await s.settle();
    assert.equal(s.admissionRepository.stored.size, 0);
    const error = s.published.find((e) => e.sessionId === late.sessionId);
    assert.equal(error?.kind === "error" && error.error.code, "queue_timeout");
  });

  it("a busy verifier sends the request back to the queue, to be placed at a later pass", async () => {
    const s = scheduler();
    s.setFleet(twoByTwo());
    s.workers.outcomes.push({ kind: "busy", reason: "full" });
    const busy = job();
    await s.admission.submit(busy);
    await s.settle();
    assert.ok(s.admissionRepository.stored.has(busy.sessionId));
    assert.ok(!s.table.has(busy.sessionId));
  });

  it("a verifier's refusal reaches the client and frees the slots", async () => {
    const s = scheduler();
    s.setFleet(twoByTwo());
    s.workers.outcomes.push({ kind: "refused", error: { code: "prompt_too_long", message: "too long" } });
    const refused = job();
    await s.admission.submit(refused);
    await s.settle();
    const error = s.published.find((e) => e.sessionId === refused.sessionId);
    assert.equal(error?.kind === "error" && error.error.code, "prompt_too_long");
    assert.ok(!s.table.has(refused.sessionId));
  });

  it("cancelling: a waiting request leaves the queue; a running one is closed at its verifier after its open", async () => {
    const s = scheduler();
    s.setFleet([worker("v1", "verifier", { maxSessions: 1 }), worker("d1", "drafter")]);
    let release!: () => void;
    s.workers.hold = new Promise((resolve) => (release = resolve));
    const running = job();
    const waiting = job();
    await s.admission.submit(running);
    await s.admission.submit(waiting);
    await s.admission.cancel(waiting.sessionId);
    assert.ok(!s.admissionRepository.stored.has(waiting.sessionId));
    const cancelled = s.admission.cancel(running.sessionId);
    release();
    await cancelled;
    assert.deepEqual(s.workers.calls, [`open ${running.sessionId} v1+d1`, `close ${running.sessionId} v1`]);
  });

  it("after a restart, a request found both queued and running is not placed twice", async () => {
    const s = scheduler();
    s.setFleet(twoByTwo());
    const both = job();
    await s.admission.submit(both);
    await s.settle();
    await s.admissionRepository.add({
      job: both,
      model: both.model,
      maxTokens: both.maxTokens,
      priority: 0,
      resume: false,
      arrivedAt: both.submittedAt,
      since: both.submittedAt,
    });
    const restarted = scheduler();
    restarted.setFleet(twoByTwo());
    for (const [id, session] of s.sessionRepository.stored) restarted.sessionRepository.stored.set(id, session);
    for (const [id, waiting] of s.admissionRepository.stored) restarted.admissionRepository.stored.set(id, waiting);
    await restarted.table.restore();
    await restarted.admission.restore();
    assert.equal(restarted.admission.waiting, 0);
    assert.equal(restarted.admissionRepository.stored.size, 0);
  });
});
