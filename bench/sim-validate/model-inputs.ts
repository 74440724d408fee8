import type { RoundReport } from "#contracts";
import { simConfigSchema, type DrafterProfile, type SimConfig, type VerifierProfile } from "#sim";
import { verifyCostCurve } from "#window";
import { median } from "../../cli/profile/measure.js";
import type { RealRun, Workload } from "./real-run.js";

export interface Overheads {
  /** Per batch at the verifier beyond its forward pass: forming the batch, the event loop. */
  verifierBatchMs: number;
  /** Per round at the verifier beyond its forward pass: the journal write, the reply, the lock. */
  verifierRoundMs: number;
  /** Per round at the drafter beyond drafting: its own message work, commit, report, loop. */
  drafterRoundMs: number;
  /** The round trip's excess over the broker's: encoding and validating both messages. */
  messagesMs: number;
  /** How many rounds each estimate came from. */
  rounds: number;
}

/**
 * The real fleet's per-round costs outside the models, from the drafters' RoundReports:
 * - verifier: how long it is busy per round beyond the profiled passes (see verifierBusyExcess);
 * - messages: a round trip's networkMs minus two broker round trips (what the simulator's links
 *   give a request and its reply);
 * - drafter: drafting time beyond window × draftMsPerToken, plus the gap between one round's
 *   report and the next round's start (consecutive reports of a session, `at`, less the round).
 * Medians: a round's figures include an occasional scheduling hiccup on a shared machine.
 */
export function measureOverheads(run: RealRun, verifier: VerifierProfile, drafter: DrafterProfile): Overheads {
  const cost = verifyCostCurve(verifier.verifyMsByTokens);
  const rounds = run.rounds.filter((r) => r.window > 0);
  const verifierExcess = verifierBusyExcess(rounds, cost);
  const messages = rounds.map((r) => r.networkMs - 2 * run.natsRttMs);
  const drafting = rounds.map((r) => r.draftMs - r.window * drafter.draftMsPerToken);
  const gaps: number[] = [];
  const bySession = new Map<string, RoundReport[]>();
  for (const r of rounds) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
  for (const list of bySession.values()) {
    for (let i = 1; i < list.length; i++) {
      const r = list[i]!;
      gaps.push(r.at - list[i - 1]!.at - (r.draftMs + r.verifyMs + r.networkMs));
    }
  }
  const positive = (x: number) => Math.max(0, round2(x));
  return {
    verifierBatchMs: positive(verifierExcess.perBatch),
    verifierRoundMs: positive(verifierExcess.perRound),
    messagesMs: positive(median(messages)),
    drafterRoundMs: positive(median(drafting) + median(gaps)),
    rounds: rounds.length,
  };
}

/**
 * The verifier's time per round beyond its profiled forward passes. A round's own verifyMs
 * cannot tell (it includes waiting for the batch before), so batches are rebuilt from the
 * reports: rounds of one batch share batchTokens and end together (a report's `at`, less its
 * reply's trip). While the verifier is busy, one batch ends as the next starts, so the time
 * between consecutive batch ends is the later batch's whole cost: its pass plus the rest
 * (event loop, commits, journal writes, replies). The rest is fitted by least squares as a cost
 * per batch plus a cost per round in it (the per-round part kept ≥ 0).
 */
export function verifierBusyExcess(
  rounds: readonly RoundReport[],
  cost: (tokens: number) => number,
): { perBatch: number; perRound: number } {
  const ends = rounds
    .filter((r) => (r.batchTokens ?? 0) > 0)
    .map((r) => ({ t: r.at - r.networkMs / 2, batchTokens: r.batchTokens! }))
    .sort((a, b) => a.t - b.t);
  const batches: Array<{ t: number; batchTokens: number; rounds: number }> = [];
  for (const end of ends) {
    const last = batches.at(-1);
    if (last && last.batchTokens === end.batchTokens && end.t - last.t < BATCH_END_SPREAD_MS) last.rounds++;
    else batches.push({ ...end, rounds: 1 });
  }
  const points: Array<{ rounds: number; excess: number }> = [];
  for (let i = 1; i < batches.length; i++) {
    const gap = batches[i]!.t - batches[i - 1]!.t;
    // Longer than any batch: the verifier sat idle in between (the run's start, a lull).
    if (gap > 3 * cost(batches[i]!.batchTokens) + 200) continue;
    points.push({ rounds: batches[i]!.rounds, excess: gap - cost(batches[i]!.batchTokens) });
  }
  if (points.length === 0) return { perBatch: 0, perRound: 0 };
  const meanRounds = points.reduce((s, p) => s + p.rounds, 0) / points.length;
  const meanExcess = points.reduce((s, p) => s + p.excess, 0) / points.length;
  const spread = points.reduce((s, p) => s + (p.rounds - meanRounds) ** 2, 0);
  const perRound =
    spread > 0
      ? Math.max(0, points.reduce((s, p) => s + (p.rounds - meanRounds) * (p.excess - meanExcess), 0) / spread)
      : 0;
  return { perBatch: meanExcess - perRound * meanRounds, perRound };
}

/** Reports of one batch reach their drafters within this of each other. */
const BATCH_END_SPREAD_MS = 15;

/** counts[k]: measured rounds of window `window` that accepted k tokens. */
export function acceptanceHistogram(rounds: readonly RoundReport[], window: number): number[] {
  const counts = Array.from({ length: window + 1 }, () => 0);
  for (const r of rounds) if (r.window === window) counts[Math.min(r.accepted, window)]!++;
  return counts;
}

export interface EquivalentFleet {
  workload: Workload;
  drafters: number;
  window: number;
  maxSessions: number;
  promptTokens: number[];
  outputTokens: number[];
}

/**
 * The simulated twin of the real run: closed arrivals, the profiled devices with the measured
 * overheads, links at the measured broker round trip, the measured acceptance, the same policies.
 * The message excess is a per-round cost the drafter's round waits for, so it is the drafter's.
 */
export function equivalentConfig(
  fleet: EquivalentFleet,
  run: RealRun,
  verifier: VerifierProfile,
  drafter: DrafterProfile,
  overheads: Overheads,
): SimConfig {
  const link = { rttMs: round2(run.natsRttMs) };
  const counts = acceptanceHistogram(run.rounds, fleet.window);
  const acceptance = { kind: "histogram" as const, counts };
  return simConfigSchema.parse({
    seed: 1,
    workload: {
      arrivals: { kind: "closed", clients: fleet.workload.clients, thinkMs: 0 },
      requests: fleet.workload.clients * fleet.workload.requestsPerClient,
      promptTokens: [Math.min(...fleet.promptTokens), Math.max(...fleet.promptTokens)],
      outputTokens: [Math.min(...fleet.outputTokens), Math.max(...fleet.outputTokens)],
    },
    verifiers: [
      {
        name: "verifier",
        count: 1,
        profile: {
          ...verifier,
          roundOverheadMs: overheads.verifierRoundMs,
          batchOverheadMs: overheads.verifierBatchMs,
        },
        maxSessions: fleet.maxSessions,
        link,
      },
    ],
    drafters: [
      {
        name: "drafter",
        count: fleet.drafters,
        profile: { ...drafter, roundOverheadMs: round2(overheads.drafterRoundMs + overheads.messagesMs) },
        maxSessions: fleet.maxSessions,
        link,
        acceptance,
      },
    ],
    acceptance,
    policies: {
      pairing: "least-loaded",
      batching: "fifo",
      window: { policy: "fixed", window: fleet.window, maxWindow: fleet.window, handBack: false },
    },
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;
