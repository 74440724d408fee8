import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPairingPolicy, type PairingPolicy } from "#pairing";
import { attachDrafters, indexViews } from "#placement";
import { d, v } from "./workers.js";

const alone = (sessionId: string, verifierId: string) => ({ sessionId, model: "m", verifierId });
const leastLoaded = createPairingPolicy("least-loaded");

describe("attachDrafters", () => {
  it("gives the free drafters to the oldest sessions first, one slot each", () => {
    const fleet = [v("v1", 2, 2), v("v2", 1, 2), d("d1", 0, 1), d("d2", 1, 1)];
    const attached = attachDrafters([alone("old", "v1"), alone("new", "v2")], fleet, leastLoaded, {});
    assert.deepEqual(
      attached.map((a) => `${a.session.sessionId}+${a.drafterId}`),
      ["old+d1"],
    );
    assert.equal(fleet[2]!.activeSessions, 1, "the drafter's slot is taken on the views");
  });

  it("counts the session's own slot on its full verifier as free", () => {
    const attached = attachDrafters([alone("s", "v1")], [v("v1", 1, 1), d("d1", 0, 1)], leastLoaded, {});
    assert.deepEqual(
      attached.map((a) => a.drafterId),
      ["d1"],
    );
  });

  it("leaves alone a session the policy keeps alone, and asks no more once no drafter has room", () => {
    let asked = 0;
    const keepsAlone: PairingPolicy = () => {
      asked++;
      return { kind: "alone", verifierId: "v1", reason: "faster alone" };
    };
    assert.deepEqual(attachDrafters([alone("s", "v1")], [v("v1", 1, 2), d("d1", 0, 1)], keepsAlone, {}), []);
    assert.equal(asked, 1);
    assert.deepEqual(attachDrafters([alone("s", "v1")], [v("v1", 1, 2), d("d1", 1, 1)], keepsAlone, {}), []);
    assert.equal(asked, 1, "no drafter had room: the policy was not asked");
  });

  it("puts one question per verifier and model until a pair changes the views: the same question, the same answer", () => {
    const asked: string[] = [];
    // Pairs the session on v2 with d1, keeps the others alone.
    const policy: PairingPolicy = (fleet) => {
      const verifier = fleet.find((w) => w.role === "verifier")!;
      asked.push(verifier.id);
      return verifier.id === "v2"
        ? { kind: "pair", verifierId: "v2", drafterId: "d1" }
        : { kind: "alone", verifierId: verifier.id, reason: "faster alone" };
    };
    const fleet = [v("v1", 3, 4), v("v2", 1, 4), d("d1", 0, 1), d("d2", 0, 1)];
    const sessions = [alone("a", "v1"), alone("b", "v1"), alone("c", "v2"), alone("d", "v1")];
    const attached = attachDrafters(sessions, fleet, policy, {});
    assert.deepEqual(
      attached.map((a) => `${a.session.sessionId}+${a.drafterId}`),
      ["c+d1"],
    );
    assert.deepEqual(asked, ["v1", "v2", "v1"], "b is not asked (a's question); d is, after c's pair took d1");
  });

  it("asks each alone session in turn, oldest first, through the caller's index when it keeps one", () => {
    const fleet = [v("v1", 2, 2), v("v2", 1, 2), d("d1", 0, 1), d("d2", 0, 1)];
    const attached = attachDrafters(
      [alone("old", "v1"), alone("new", "v2")],
      fleet,
      leastLoaded,
      {},
      indexViews(fleet),
    );
    assert.deepEqual(
      attached.map((a) => `${a.session.sessionId}+${a.drafterId}`),
      ["old+d1", "new+d2"],
    );
    assert.deepEqual(
      fleet.map((w) => w.activeSessions),
      [2, 1, 1, 1],
      "the drafters' slots are taken; the verifiers' were already",
    );
  });
});
