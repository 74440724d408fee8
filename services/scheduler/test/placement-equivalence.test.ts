import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import type { FleetWorker } from "#contracts";
import { createPairingPolicy, type PairingPolicyName } from "#pairing";
import {
  arrivals,
  drafter,
  link,
  onScheduler,
  onSimulator,
  verifier,
  type Mutation,
  type Step,
} from "./placement-drivers.js";

/**
 * One placement loop (architecture invariant 5): the scheduler's admission and recovery, over the
 * harness's fakes, and DSD-Sim's placement (`SimPlacement`, what the simulator drives) are fed
 * one fleet and one sequence of events — requests arriving, the scheduler's look at its queue
 * every second, sessions ending, a drafter leaving a session it found faster alone, drafters
 * joining, the drafters' link reports — and must decide the same: every question put to the
 * pairing policy (with the loads it saw, `ahead` and `waitedMs`) and its answer, every session
 * opened where, every drafter attached to which alone session, every request expired, and
 * which requests wait.
 */

/** Every drafter joins after the first requests (they start alone), then one more later. */
const fleet = (): FleetWorker[] => [
  verifier("v1", 8),
  verifier("v2", 8),
  drafter("d1", "small", 2, 4, { maxSessions: 6, state: "draining" }),
  drafter("d2", "small", 2, 4, { state: "draining" }),
  drafter("d3", "tiny", 25, 150, { maxSessions: 4, state: "draining" }),
  drafter("d4", "small", 2, 4, { state: "draining" }),
];

/** One sequence for every policy. */
const steps: Step[] = [
  {
    at: 0,
    fleet: {},
    links: {
      d1: [link("v1", 10, 0.85, 60), link("v2", 12, 0.85, 40)],
      d2: [link("v1", 11, 0.8, 50)],
      d3: [link("v1", 300, 0.4, 60), link("v2", 310, 0.4, 20)],
    },
  },
  ...arrivals(1, 10, 4),
  { at: 100, fleet: { d2: { state: "ready" } } },
  { at: 200, fleet: { d1: { state: "ready" }, d3: { state: "ready" } } },
  ...arrivals(5, 300, 14),
  { at: 1000, tick: true },
  { at: 1500, end: "r1" },
  { at: 1600, end: "r2" },
  { at: 1700, drafterLeaves: "r4" },
  { at: 2000, tick: true },
  { at: 2100, fleet: {}, links: { d3: [link("v1", 280, 0.5, 90)] } },
  ...arrivals(19, 2200, 4),
  { at: 3000, tick: true },
  { at: 3500, end: "r3" },
  { at: 3600, end: "r5" },
  { at: 4000, tick: true },
  { at: 5000, tick: true },
  { at: 6500, tick: true },
  { at: 7000, end: "r6" },
  { at: 7100, end: "r7" },
  { at: 8000, tick: true },
];

/** The same, with a drafter joining while requests wait and sessions decode alone. */
const withLateDrafter: Step[] = steps.map((step) =>
  step.at === 2100 && "fleet" in step ? { ...step, fleet: { d4: { state: "ready" } } } : step,
);

/** One verifier of two slots: an end lets a waiting request in alone, with no drafter to give it. */
const small = (): FleetWorker[] => [verifier("v1", 2), drafter("d1", "small", 2, 4), drafter("d3", "tiny", 25, 150)];
const endLetsOneInAlone: Step[] = [
  { at: 0, fleet: {}, links: { d1: [link("v1", 10, 0.85, 60)], d3: [link("v1", 300, 0.3, 60)] } },
  ...arrivals(1, 10, 3),
  { at: 1000, end: "r2" },
];

const run = async (policy: PairingPolicyName, sequence = steps, mutation: Mutation = {}, workers = fleet) => {
  const scheduler = await onScheduler(workers(), sequence, createPairingPolicy(policy));
  const simulator = onSimulator(workers(), sequence, createPairingPolicy(policy), mutation);
  return { scheduler, simulator };
};

describe("one placement loop: the scheduler and DSD-Sim decide the same", () => {
  before(() => mock.timers.enable({ apis: ["Date"], now: 0 }));
  after(() => mock.timers.reset());

  for (const policy of ["round-robin", "load-aware"] as PairingPolicyName[]) {
    it(`${policy}: the same placements, attachments, expiries and waiting requests, from the same questions`, async () => {
      const { scheduler, simulator } = await run(policy);
      assert.deepEqual(simulator.decisions, scheduler.decisions);
      assert.deepEqual(simulator.questions, scheduler.questions);
    });

    it(`${policy}: a simulator offering drafters to the newest alone session first is caught`, async () => {
      const { scheduler, simulator } = await run(policy, steps, { newestFirst: true });
      assert.notDeepEqual(simulator.decisions, scheduler.decisions);
    });
  }

  it("load-aware: a simulator looking past more waiting requests than the scheduler is caught", async () => {
    const { scheduler, simulator } = await run("load-aware", steps, { lookahead: Number.POSITIVE_INFINITY });
    assert.notDeepEqual(simulator.decisions, scheduler.decisions);
  });

  it("load-aware, a drafter joining while requests wait: the queue pass right after the attach pass sees its slots", async () => {
    const { scheduler, simulator } = await run("load-aware", withLateDrafter);
    assert.deepEqual(simulator.decisions, scheduler.decisions);
    assert.deepEqual(simulator.questions, scheduler.questions);
  });

  it("load-aware, an end letting a waiting request in alone: the attach pass after it does not ask about that request", async () => {
    const { scheduler, simulator } = await run("load-aware", endLetsOneInAlone, {}, small);
    assert.deepEqual(simulator.decisions, scheduler.decisions);
    assert.deepEqual(simulator.questions, scheduler.questions);
  });
});
