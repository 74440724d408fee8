import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { job, scheduler, worker } from "./scheduler-harness.js";

const fleet = (extra: { v1?: object; v2?: object; d1?: object; d2?: object } = {}) => [
  worker("v1", "verifier", extra.v1),
  worker("v2", "verifier", extra.v2),
  worker("d1", "drafter", extra.d1),
  worker("d2", "drafter", extra.d2),
];

/** A scheduler with one session running on v1 + d1. */
async function running() {
  const s = scheduler();
  s.setFleet(fleet({ v2: { state: "draining" }, d2: { state: "draining" } }));
  const submitted = job();
  await s.admission.submit(submitted);
  await s.settle();
  s.workers.calls.length = 0;
  return { s, sessionId: submitted.sessionId };
}

describe("recovery", () => {
  const cases = [
    {
      name: "a lost verifier: the drafter stops following, the session resumes on another verifier",
      change: { v1: { state: "lost" } },
      calls: (id: string) => [`close ${id} d1`, `resume ${id} v2+d1`],
    },
    {
      name: "a restarted verifier (no longer holding the session) counts as lost; it may take the session back",
      change: { v1: { startedAt: 2 } },
      calls: (id: string) => [`close ${id} d1`, `resume ${id} v1+d1`],
    },
    {
      name: "a draining verifier lets the session go first, then it resumes elsewhere",
      change: { v1: { state: "draining" } },
      calls: (id: string) => [`release ${id} v1`, `close ${id} d1`, `resume ${id} v2+d1`],
    },
    {
      name: "a lost drafter: the verifier goes on alone, then takes the free drafter",
      change: { d1: { state: "lost" } },
      calls: (id: string) => [`detach ${id} v1-d1`, `attach ${id} v1+d2`],
    },
    {
      name: "a draining drafter is closed and replaced",
      change: { d1: { state: "draining" } },
      calls: (id: string) => [`close ${id} d1`, `detach ${id} v1-d1`, `attach ${id} v1+d2`],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { s, sessionId } = await running();
      s.setFleet(fleet(c.change));
      s.recovery.fleetChanged();
      await s.settle();
      assert.deepEqual(s.workers.calls, c.calls(sessionId));
    });
  }

  it("a draining verifier that does not answer the release keeps the session (asked again at the next event)", async () => {
    const { s, sessionId } = await running();
    s.workers.releases.push("unanswered");
    s.setFleet(fleet({ v1: { state: "draining" } }));
    s.recovery.fleetChanged();
    await s.settle();
    assert.deepEqual(s.workers.calls, [`release ${sessionId} v1`]);
    assert.equal(s.table.get(sessionId)?.verifierId, "v1");
    assert.equal(s.table.get(sessionId)?.drafterId, "d1");
  });

  it("a drafter that left on its own frees its slot; the session takes the free drafter", async () => {
    const { s, sessionId } = await running();
    s.setFleet(fleet());
    s.recovery.drafterLeft({ sessionId, verifierId: "v1", drafterId: "d1", fasterAlone: false, reason: "silent" });
    await s.settle();
    assert.deepEqual(s.workers.calls, [`attach ${sessionId} v1+d1`]);
    assert.equal(s.table.get(sessionId)?.drafterId, "d1");
  });

  it("a drafter that found the verifier faster alone leaves the session alone for good", async () => {
    const { s, sessionId } = await running();
    s.setFleet(fleet());
    s.recovery.drafterLeft({ sessionId, verifierId: "v1", drafterId: "d1", fasterAlone: true, reason: "faster alone" });
    await s.settle();
    s.recovery.fleetChanged();
    await s.settle();
    assert.deepEqual(s.workers.calls, []);
    assert.equal(s.table.get(sessionId)?.drafterId, null);
    assert.equal(s.table.loads().get("d1"), undefined, "the drafter's slot is free");
  });

  it("a stale drafter-left (another drafter follows now) changes nothing", async () => {
    const { s, sessionId } = await running();
    s.recovery.drafterLeft({ sessionId, verifierId: "v1", drafterId: "d2", fasterAlone: true, reason: "old news" });
    await s.settle();
    assert.equal(s.table.get(sessionId)?.drafterId, "d1");
  });

  it("a session being resumed is left be by later fleet events and the rebalancer: resumed once", async () => {
    const { s, sessionId } = await running();
    let release!: () => void;
    s.workers.hold = new Promise((resolve) => (release = resolve));
    s.setFleet(fleet({ v1: { state: "lost" } }));
    s.recovery.fleetChanged();
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 3; i++) {
      s.setFleet(fleet({ v1: { state: "lost" } }));
      s.recovery.fleetChanged();
      s.admission.pump();
      s.rebalancer.rebalance();
      await new Promise((resolve) => setImmediate(resolve));
    }
    release();
    await s.settle();
    assert.deepEqual(
      s.workers.calls.filter((c) => c.startsWith("resume") || c.startsWith("open")),
      [`resume ${sessionId} v2+d1`],
    );
  });

  it("after a restart, a session its verifier does not hold is resumed (the verifier replays or opens it)", async () => {
    const { s, sessionId } = await running();
    const restarted = scheduler();
    restarted.setFleet(fleet());
    for (const [id, stored] of s.sessionRepository.stored) restarted.sessionRepository.stored.set(id, stored);
    restarted.workers.holds.set("v1", []);
    await restarted.table.restore();
    await restarted.recovery.reconcile();
    await restarted.settle();
    assert.deepEqual(restarted.workers.calls, [`resume ${sessionId} v1+d1`]);
  });

  it("after a restart, a session its verifier holds stays where it is", async () => {
    const { s, sessionId } = await running();
    const restarted = scheduler();
    restarted.setFleet(fleet());
    for (const [id, stored] of s.sessionRepository.stored) restarted.sessionRepository.stored.set(id, stored);
    restarted.workers.holds.set("v1", [sessionId]);
    await restarted.table.restore();
    await restarted.recovery.reconcile();
    await restarted.settle();
    assert.deepEqual(restarted.workers.calls, []);
    assert.equal(restarted.table.get(sessionId)?.verifierId, "v1");
  });
});
