import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPairingPolicy, type PairingPolicy, type WorkerView } from "#pairing";
import { SimPlacement, simulate } from "#sim";
import { smallFleet } from "./fleets.js";

const worker =
  (role: WorkerView["role"]) =>
  (id: string, maxSessions: number, extra: Partial<WorkerView> = {}): WorkerView => ({
    id,
    role,
    modelName: role === "verifier" ? "big" : "small",
    vocabFingerprint: "v",
    ready: true,
    activeSessions: 0,
    maxSessions,
    ...extra,
  });
const v = worker("verifier");
const d = worker("drafter");

const request = (id: string, at: number) => ({
  id,
  model: "big",
  maxTokens: 32,
  priority: 0,
  resume: false,
  arrivedAt: at,
  since: at,
});
const alone = (sessionId: string, verifierId: string) => ({ sessionId, model: "big", verifierId });

/** Least-loaded, counting the questions. */
function counted(): { policy: PairingPolicy; asked: string[] } {
  const asked: string[] = [];
  const leastLoaded = createPairingPolicy("least-loaded");
  return {
    asked,
    policy: (fleet, req, context) => {
      asked.push(req.maxTokens === undefined ? "attach" : "place");
      return leastLoaded(fleet, req, context);
    },
  };
}

const placement = (views: WorkerView[], policy: PairingPolicy) =>
  new SimPlacement<ReturnType<typeof request>, ReturnType<typeof alone>>(views, policy, {
    lookahead: 4,
    queueTimeoutMs: 1000,
    random: () => 0.5,
  });

describe("SimPlacement: the scheduler's placement entered as the scheduler enters it", () => {
  it("a request is decided at arrival, unless others of its model wait: then it waits its turn unasked", () => {
    const views = [v("v1", 1), d("d1", 1)];
    const { policy, asked } = counted();
    const p = placement(views, policy);
    assert.equal(p.submit(request("a", 0), 0).length, 1, "placed at once");
    assert.deepEqual(p.submit(request("b", 10), 10), [], "no pair free: it waits");
    assert.deepEqual(p.submit(request("c", 20), 20), [], "behind b");
    assert.deepEqual(asked, ["place", "place"], "c was not asked about");
    assert.equal(p.waiting, 2);
    views[0]!.activeSessions--;
    views[1]!.activeSessions--;
    const { placed } = p.sessionEnded(30);
    assert.deepEqual(
      placed.map((o) => o.waiting.id),
      ["b"],
    );
    assert.equal(p.waiting, 1);
  });

  it("past its deadline a waiting request expires at a pass", () => {
    const p = placement([v("v1", 1, { activeSessions: 1 }), d("d1", 1)], createPairingPolicy("least-loaded"));
    p.submit(request("a", 0), 0);
    assert.deepEqual(p.pass(500), []);
    assert.deepEqual(
      p.pass(1500).map((o) => `${o.waiting.id} ${o.kind}`),
      ["a expire"],
    );
    assert.equal(p.waiting, 0);
  });

  it("at a session's end: the pass, then the attach pass over the sessions that were alone before it", () => {
    const views = [v("v1", 4), d("d1", 1, { ready: false })];
    const p = placement(views, createPairingPolicy("least-loaded"));
    const first = p.submit(request("a", 0), 0)[0]!;
    assert.equal(first.kind === "place" && first.decision.kind, "alone", "no drafter ready");
    const a = alone("a", "v1");
    p.wantsDrafter(a);
    views[1]!.ready = true;
    const attached = p.attach();
    assert.deepEqual(
      attached.map((x) => `${x.session.sessionId}+${x.drafterId}`),
      ["a+d1"],
    );
    assert.equal(views[1]!.activeSessions, 1, "the attach took the drafter's slot");
    assert.deepEqual(p.sessionEnded(10).attached, [], "nobody else waits for a drafter");
  });

  it("a drafter's link figures reach the pairing context with both workers' models and broker round trips", () => {
    const p = placement(
      [v("v1", 4, { brokerRttMs: 2 }), d("d1", 1, { brokerRttMs: 3 }), d("d2", 1)],
      createPairingPolicy("least-loaded"),
    );
    p.report("d1", { verifierId: "v1", roundTripMs: 12, acceptance: 0.8, rounds: 30 });
    p.report("d2", { verifierId: "v1", roundTripMs: 40, acceptance: 0.5, rounds: 10 });
    assert.equal(p.context.roundTripMs!("d1", "v1"), 12);
    assert.equal(p.context.acceptance!("small", "big"), 0.725);
    assert.equal(p.context.roundTripExcessMs, 7, "only d1–v1 has both broker round trips");
    p.report("d1", { verifierId: "v1", roundTripMs: 8, acceptance: 0.8, rounds: 40 });
    assert.equal(p.context.roundTripExcessMs, 3, "a report replaces the link's last one");
  });
});

describe("the simulator's queue", () => {
  it("with a deadline, requests that wait past it fail; every other completes and every slot comes back", () => {
    const config = smallFleet({
      workload: { arrivals: { kind: "poisson", ratePerSecond: 200 }, requests: 300 },
      policies: { queueTimeoutMs: 2000 },
    });
    const summary = simulate(config);
    assert.ok(summary.requests.failed > 0, "an overloaded fleet lets some wait past 2 s");
    assert.equal(summary.requests.completed + summary.requests.failed, 300);
    assert.ok(summary.queueWaitMs.p99 <= 2000, "a request past its deadline expires before it is placed");
  });
});
