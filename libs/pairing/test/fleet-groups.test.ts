import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { candidatePairs, isDecision, type PairingRequest, type WorkerView } from "#pairing";
import { freeVerifiers } from "../src/candidates.js";
import { fleetGroups } from "../src/fleet-groups.js";
import { d, v } from "./workers.js";

/** What candidatePairs answered before the groups were kept: grouped and sorted at every call. */
function reference(fleet: readonly WorkerView[], request: PairingRequest): string {
  const key = (w: WorkerView) => JSON.stringify([w.vocabFingerprint, w.protocol ?? null]);
  const byId = (a: WorkerView, b: WorkerView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const verifiers = fleet.filter((w) => w.role === "verifier" && w.ready && w.modelName === request.model).sort(byId);
  if (verifiers.length === 0) return "none";
  const drafters = fleet.filter((w) => w.role === "drafter" && w.ready).sort(byId);
  for (const healthyOnly of [true, false]) {
    const usable = (w: WorkerView) => w.activeSessions < w.maxSessions && !(healthyOnly && w.degraded);
    const entries = verifiers
      .filter(usable)
      .map((verifier) => [verifier.id, drafters.filter((x) => key(x) === key(verifier) && usable(x)).map((x) => x.id)])
      .filter(([, partners]) => partners!.length > 0);
    if (entries.length > 0) return JSON.stringify(entries);
  }
  return "decision";
}

function answer(fleet: readonly WorkerView[], request: PairingRequest): string {
  const candidates = candidatePairs(fleet, request);
  if (isDecision(candidates)) return candidates.kind === "none" ? "none" : "decision";
  return JSON.stringify(candidates.verifiers.map((e) => [e.verifier.id, e.drafters.map((x) => x.id)]));
}

/** A seeded draw in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

function randomFleet(random: () => number, size: number): WorkerView[] {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: size }, (_, i) => {
    const role = random() < 0.3 ? v : d;
    return role(`w${Math.floor(random() * 1000)}-${i}`, Math.floor(random() * 3), 2, {
      modelName: role === v ? pick(["m", "m", "other"]) : "small",
      vocabFingerprint: pick(["vocab-A", "vocab-A", "vocab-B"]),
      protocol: pick([undefined, "p1", "p1", "p2"]),
      ready: random() < 0.9,
      degraded: random() < 0.2,
    });
  });
}

describe("fleetGroups: the fleet grouped once per array", () => {
  it("is kept for the same array while its workers are the same, and rebuilt when one changes in place", () => {
    const fleet = [v("v2", 0, 2), d("d1", 0, 2), v("v1", 0, 2)];
    const first = fleetGroups(fleet);
    fleet[0]!.activeSessions = 1; // sessions are read at each decision, not grouped
    assert.equal(fleetGroups(fleet), first);
    assert.deepEqual(
      first.verifiers.get("m")!.map((e) => e.verifier.id),
      ["v1", "v2"],
    );
    fleet[1]!.protocol = "p9";
    const rebuilt = fleetGroups(fleet);
    assert.notEqual(rebuilt, first);
    fleet.push(d("d0", 0, 2));
    assert.notEqual(fleetGroups(fleet), rebuilt);
    assert.deepEqual(
      [...fleetGroups(fleet).drafters.values()]
        .flat()
        .map((w) => w.id)
        .sort(),
      ["d0", "d1"],
    );
  });

  it("candidatePairs answers as when it grouped and sorted the fleet at every call, over changes in place", () => {
    const random = seeded(7);
    for (let round = 0; round < 200; round++) {
      const fleet = randomFleet(random, 1 + Math.floor(random() * 40));
      for (let change = 0; change < 5; change++) {
        for (const model of ["m", "other", "absent"])
          assert.equal(answer(fleet, { model }), reference(fleet, { model }), `round ${round}, change ${change}`);
        // The same array changes between decisions, as the scheduler's and DSD-Sim's do.
        const w = fleet[Math.floor(random() * fleet.length)]!;
        const what = random();
        if (what < 0.5) w.activeSessions = Math.floor(random() * 3);
        else if (what < 0.7) w.ready = !w.ready;
        else if (what < 0.8) w.degraded = !w.degraded;
        else if (what < 0.9) w.vocabFingerprint = w.vocabFingerprint === "vocab-A" ? "vocab-B" : "vocab-A";
        else w.protocol = w.protocol === undefined ? "p1" : undefined;
      }
    }
  });

  it("freeVerifiers lists the model's ready verifiers with room in id order, healthy ones when there are", () => {
    const fleet = [v("v3", 0, 2), v("v1", 2, 2), v("v2", 0, 2, { degraded: true }), v("v0", 0, 2, { ready: false })];
    assert.deepEqual(
      freeVerifiers(fleet, { model: "m" }).map((e) => e.verifier.id),
      ["v3"],
    );
    fleet[0]!.activeSessions = 2;
    assert.deepEqual(
      freeVerifiers(fleet, { model: "m" }).map((e) => e.verifier.id),
      ["v2"],
    );
  });
});
