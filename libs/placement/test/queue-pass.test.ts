import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPairingPolicy, type PairingPolicy, type WorkerView } from "#pairing";
import { indexViews, QUEUE_PASS_DEFAULTS, queuePass, waitingOrder } from "#placement";
import { d, request, v } from "./workers.js";

const leastLoaded = createPairingPolicy("least-loaded");
const options = (now = 1000) => ({ ...QUEUE_PASS_DEFAULTS, now, queueTimeoutMs: 500 });
const summary = (outcomes: ReturnType<typeof queuePass<ReturnType<typeof request>>>) =>
  outcomes.map((o) =>
    o.kind === "place"
      ? `${o.waiting.id}→${o.decision.verifierId}${o.decision.kind === "pair" ? "+" + o.decision.drafterId : " alone"}`
      : `${o.waiting.id} ${o.kind}`,
  );

describe("queuePass", () => {
  const cases: Array<{
    name: string;
    fleet: () => WorkerView[];
    waiting: Array<ReturnType<typeof request>>;
    policy?: string;
    expected: string[];
  }> = [
    {
      name: "places in order while pairs are free, each taking its slots before the next decides",
      fleet: () => [v("v1", 0, 2), d("d1", 0, 1), d("d2", 0, 1)],
      waiting: [request("a", 900), request("b", 910), request("c", 920)],
      expected: ["a→v1+d1", "b→v1+d2"],
    },
    {
      name: "a new request past its deadline expires; a resumed session never does",
      fleet: () => [v("v1", 0, 4), d("d1", 0, 4)],
      waiting: [request("old", 100), request("moved", 100, { resume: true })],
      expected: ["old expire", "moved→v1+d1"],
    },
    {
      name: "no verifier of the model: a new request is refused, a resumed session keeps waiting",
      fleet: () => [v("v1", 0, 4, { modelName: "other" }), d("d1", 0, 4)],
      waiting: [request("moved", 900, { resume: true }), request("new", 950)],
      expected: ["new refuse"],
    },
    {
      name: "a model with every pair full is not looked at again; another model still places",
      fleet: () => [v("v1", 1, 1), d("d1", 0, 4), v("w1", 0, 1, { modelName: "n" })],
      waiting: [request("a", 900), request("b", 910), request("c", 920, { model: "n" })],
      expected: ["c→w1+d1"],
    },
    {
      name: "no drafter shares the vocabulary: the verifier decodes alone",
      fleet: () => [v("v1", 0, 2), d("d1", 0, 2, { vocabFingerprint: "other" })],
      waiting: [request("a", 900)],
      expected: ["a→v1 alone"],
    },
    {
      name: "round-robin is asked once per placement and alternates",
      policy: "round-robin",
      fleet: () => [v("v1", 0, 4), v("v2", 0, 4), d("d1", 0, 4), d("d2", 0, 4)],
      waiting: [request("a", 900), request("b", 910), request("c", 920), request("d", 930)],
      expected: ["a→v1+d1", "b→v2+d2", "c→v1+d1", "d→v2+d2"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const policy = createPairingPolicy((c.policy ?? "least-loaded") as "least-loaded");
      assert.deepEqual(summary(queuePass(c.waiting, c.fleet(), policy, {}, options())), c.expected);
    });
  }

  it("passes each request how many of its model chose to wait ahead of it, and looks past at most `lookahead`", () => {
    const seen: number[] = [];
    const waits: PairingPolicy = (_fleet, req) => {
      seen.push(req.ahead ?? -1);
      return { kind: "wait", reason: "a faster pair frees soon" };
    };
    const waiting = Array.from({ length: 10 }, (_, i) => request(`r${i}`, 900 + i));
    const outcomes = queuePass(waiting, [v("v1", 0, 4), d("d1", 0, 4)], waits, {}, { ...options(), lookahead: 3 });
    assert.deepEqual(outcomes, []);
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  it("passes how long each has waited", () => {
    const waited: number[] = [];
    const records: PairingPolicy = (_fleet, req) => {
      waited.push(req.waitedMs ?? -1);
      return { kind: "wait", reason: "" };
    };
    queuePass([request("a", 700), request("b", 800)], [v("v1", 0, 4), d("d1", 0, 4)], records, {}, options());
    assert.deepEqual(waited, [300, 200]);
  });

  it("takes the slots through the caller's index when it keeps one (DSD-Sim's live views), as through its own", () => {
    const fleet = [v("v1", 0, 2), d("d1", 0, 1), d("d2", 0, 1)];
    const index = indexViews(fleet);
    const outcomes = queuePass([request("a", 900), request("b", 910)], fleet, leastLoaded, {}, { ...options(), index });
    assert.deepEqual(summary(outcomes), ["a→v1+d1", "b→v1+d2"]);
    assert.deepEqual(
      fleet.map((w) => w.activeSessions),
      [2, 1, 1],
    );
  });
});

describe("waitingOrder", () => {
  it("lower priority first, then resumed sessions, then arrival", () => {
    const line = [
      request("late", 30),
      request("resumed", 40, { resume: true }),
      request("urgent", 50, { priority: -5 }),
      request("early", 10),
      request("lazy", 0, { priority: 5 }),
    ].sort(waitingOrder);
    assert.deepEqual(
      line.map((r) => r.id),
      ["urgent", "resumed", "early", "late", "lazy"],
    );
  });
});
