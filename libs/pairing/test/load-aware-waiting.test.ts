import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  loadAware,
  type LoadAwareTuning,
  type PairingContext,
  type PairingDecision,
  type PairingRequest,
} from "#pairing";
import { d, v } from "./workers.js";

/** Load-aware: waiting for a full, faster pair (shortest expected completion). */
describe("load-aware: waiting for a faster pair (shortest expected completion)", () => {
  const policy = loadAware();
  const tiny = {
    verifyMsByWindow: [
      { window: 0, ms: 1 },
      { window: 4, ms: 2 },
    ],
  };
  const wide = {
    verifyMsByWindow: [
      { window: 0, ms: 10 },
      { window: 4, ms: 14 },
    ],
  };
  const agreeing: PairingContext = { acceptance: () => 1 };
  // The fast pair is full; the free one is a slow verifier with a drafter 60 ms away.
  const fleet = [
    v("v1", 4, 4, { profile: tiny, brokerRttMs: 0.5 }),
    v("v2", 0, 4, { profile: wide, brokerRttMs: 0.5 }),
    d("d1", 4, 4, { profile: { draftMsPerToken: 0.3 }, brokerRttMs: 0.5 }),
    d("d2", 0, 4, { profile: { draftMsPerToken: 0.3 }, brokerRttMs: 60 }),
  ];
  const cases: Array<{
    name: string;
    request: Partial<PairingRequest>;
    tuning?: Partial<LoadAwareTuning>;
    expected: PairingDecision["kind"];
  }> = [
    {
      name: "a request that would finish sooner on the full fast pair waits for it",
      request: { maxTokens: 96 },
      expected: "wait",
    },
    { name: "without its length, nothing is weighed: the best free option", request: {}, expected: "pair" },
    {
      name: "with many requests already waiting ahead, it takes the free option",
      request: { maxTokens: 96, ahead: 40 },
      expected: "pair",
    },
    {
      name: "having waited as long as the free option takes, it stops waiting",
      request: { maxTokens: 96, waitedMs: 10_000 },
      expected: "pair",
    },
    {
      name: "tuned: a gain the full pair cannot reach (waitGain 100), it takes the free option",
      request: { maxTokens: 96 },
      tuning: { waitGain: 100 },
      expected: "pair",
    },
    {
      name: "tuned: waiting weighed on no fleet (waitMaxWorkers 0), it takes the free option",
      request: { maxTokens: 96 },
      tuning: { waitMaxWorkers: 0 },
      expected: "pair",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = (c.tuning ? loadAware(c.tuning) : policy)(fleet, { model: "m", ...c.request }, agreeing);
      assert.equal(decision.kind, c.expected, JSON.stringify(decision));
    });
  }
});
