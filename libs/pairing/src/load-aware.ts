import {
  bestRateOnLine,
  byTokens,
  fitVerifyLine,
  rate,
  UNMEASURED_VERIFY_LINE,
  type VerifyLine,
  type WindowEstimates,
} from "#window";
import {
  canPair,
  candidatePairs,
  draftMsOf,
  freeVerifiers,
  hasRoom,
  isDecision,
  minimise,
  onLowBattery,
  pairDecision,
  withoutSession,
} from "./candidates.js";
import { alike, fleetGroups } from "./fleet-groups.js";
import { PairRateCache } from "./rate-cache.js";
import { bestPair } from "./shortlist.js";
import { PAIRING_TUNING_DEFAULTS, type LoadAwareTuning } from "./tuning.js";
import type {
  CandidatePair,
  PairingContext,
  PairingDecision,
  PairingPolicy,
  PairingRequest,
  WorkerProfile,
  WorkerView,
} from "./types.js";

/**
 * Verify ms ≈ a + b·n for a decode of n tokens: the line of libs/window's verify-cost model
 * fitted to the verifier's profile (γ + 1 tokens a window); a verifier that measured nothing
 * gets `UNMEASURED_VERIFY_LINE`.
 */
export function verifyCostLine(verifier: WorkerView): VerifyLine {
  const profile = verifier.profile?.verifyMsByWindow;
  if (!profile) return UNMEASURED_VERIFY_LINE;
  // A profile is measured once at start-up: fit it once (predictions run per pair per decision).
  let line = costLines.get(profile);
  if (!line) costLines.set(profile, (line = fitVerifyLine(byTokens(profile))));
  return line;
}
const costLines = new WeakMap<NonNullable<WorkerProfile["verifyMsByWindow"]>, VerifyLine>();

/**
 * The round trip between a drafter and a verifier: measured by the pair (the drafter's link
 * stats) if it has worked together, else each one's round trip to the broker added up (the
 * messages of a round cross the broker both ways) plus what measured pairs take beyond theirs
 * (`roundTripExcessMs`), else `defaultRoundTripMs`.
 */
export function pairRoundTripMs(pair: CandidatePair, context: PairingContext, tuning: LoadAwareTuning): number {
  const measured = context.roundTripMs?.(pair.drafter.id, pair.verifier.id);
  if (measured !== undefined) return measured;
  const { drafter, verifier } = pair;
  if (drafter.brokerRttMs !== undefined && verifier.brokerRttMs !== undefined)
    return drafter.brokerRttMs + verifier.brokerRttMs + (context.roundTripExcessMs ?? 0);
  return tuning.defaultRoundTripMs;
}

/**
 * Committed tokens per second a new session would get from this pair now: the Leviathan rate
 * (libs/window) at the drafter's fixed window, or at the best window its adaptive policy may
 * choose, with α from the history of this drafter model against this target model, the
 * drafter's measured ms per token shared with the sessions it already drafts, the verifier's
 * measured verify cost with every session it already runs adding its window to each decode, the
 * pair's round trip, and the per-process work of a round (`roundOverheadMs`) for this session
 * and each other one on either worker.
 */
export function predictPairRate(
  pair: CandidatePair,
  context: PairingContext = {},
  tuning: LoadAwareTuning = PAIRING_TUNING_DEFAULTS.loadAware,
): number {
  const { verifier, drafter } = pair;
  const acceptance = context.acceptance?.(drafter.modelName, verifier.modelName) ?? tuning.priorAcceptance;
  const draftMsPerToken = draftMsOf(drafter, tuning) * (1 + drafter.activeSessions);
  const { a, b } = verifyCostLine(verifier);
  const sharing = 1 + verifier.activeSessions;
  const overheadMs = tuning.roundOverheadMs * (1 + verifier.activeSessions + drafter.activeSessions);
  const roundTripMs = pairRoundTripMs(pair, context, tuning) + overheadMs;
  const pipelined = drafter.drafting?.pipelined ?? false;
  const drafting = drafter.drafting;
  if (drafting?.windowPolicy === "fixed") {
    const estimates: WindowEstimates = {
      acceptance,
      draftMsPerToken,
      roundTripMs,
      verifyMs: (window) => a + b * sharing * (window + 1),
      pipelined,
    };
    return rate(drafting.window, estimates);
  }
  return bestRate(
    acceptance,
    draftMsPerToken,
    a,
    b * sharing,
    roundTripMs,
    pipelined,
    Math.min(tuning.maxWindow, drafting?.maxWindow ?? tuning.maxWindow),
  );
}

/**
 * `bestRateOnLine` (libs/window), remembering the last answer: drafters of one kind not yet
 * measured with a verifier follow each other in id order with identical inputs.
 */
function bestRate(
  acceptance: number,
  draftMsPerToken: number,
  a: number,
  bShared: number,
  roundTripMs: number,
  pipelined: boolean,
  maxWindow: number,
): number {
  const last = lastRate;
  if (
    acceptance === last.acceptance &&
    draftMsPerToken === last.draftMsPerToken &&
    a === last.a &&
    bShared === last.bShared &&
    roundTripMs === last.roundTripMs &&
    pipelined === last.pipelined &&
    maxWindow === last.maxWindow
  ) {
    return last.tokensPerSecond;
  }
  const tokensPerSecond = bestRateOnLine(acceptance, draftMsPerToken, a, bShared, roundTripMs, pipelined, maxWindow);
  lastRate = { acceptance, draftMsPerToken, a, bShared, roundTripMs, pipelined, maxWindow, tokensPerSecond };
  return tokensPerSecond;
}
let lastRate = {
  acceptance: Number.NaN,
  draftMsPerToken: 0,
  a: 0,
  bShared: 0,
  roundTripMs: 0,
  pipelined: false,
  maxWindow: 0,
  tokensPerSecond: 0,
};

/**
 * Tokens per second a new session would get at this verifier with no remote drafter: one forward
 * pass per token, batched with the windows of the sessions it already runs (`othersDecodeTokens`
 * each), plus the per-process work of a round. A verifier with a co-located draft model drafts
 * for itself instead (fused execution, `predictSelfDraftRate`): the better of the two.
 */
export function predictAloneRate(
  verifier: WorkerView,
  tuning: LoadAwareTuning = PAIRING_TUNING_DEFAULTS.loadAware,
  context: PairingContext = {},
): number {
  const { a, b } = verifyCostLine(verifier);
  const others = verifier.activeSessions;
  const oneByOne = 1000 / (a + b * (1 + tuning.othersDecodeTokens * others) + tuning.roundOverheadMs * (1 + others));
  const fused = predictSelfDraftRate(verifier, tuning, context);
  return fused === null ? oneByOne : Math.max(oneByOne, fused);
}

/**
 * A self-drafting verifier's rate for a new session (DSD-Sim's fused execution): the best window
 * on its verify-cost line, drafting at its co-located model's ms per token (shared with the
 * sessions it already runs: one process does both), α of that model against the target when the
 * fleet has seen it, no network, windows up to its own SELF_DRAFT_MAX_WINDOW. Null for a verifier
 * without a co-located draft model.
 */
export function predictSelfDraftRate(
  verifier: WorkerView,
  tuning: LoadAwareTuning = PAIRING_TUNING_DEFAULTS.loadAware,
  context: PairingContext = {},
): number | null {
  const self = verifier.profile?.selfDraft;
  if (!self) return null;
  const { a, b } = verifyCostLine(verifier);
  const others = verifier.activeSessions;
  const acceptance = context.acceptance?.(self.model.name, verifier.modelName) ?? tuning.priorAcceptance;
  return bestRateOnLine(
    acceptance,
    self.draftMsPerToken * (1 + others),
    a,
    b * (1 + others),
    tuning.roundOverheadMs * (1 + others),
    false,
    // Its own cap (SELF_DRAFT_MAX_WINDOW), not a remote pair's: with no network a round costs
    // little besides the pass, so a well-matched draft model's best window is long.
    self.maxWindow,
  );
}

/**
 * Load-aware (the default): the free pair with the highest predicted committed tokens per
 * second (`predictPairRate`), leaving drafters on low battery aside while another is free; or
 * the verifier alone when that is predicted faster than any free pair (a drafter too far
 * away, or too slow, costs more than it saves) and the best pair's drafter model has an
 * acceptance history against the target, or when every compatible drafter is busy (the
 * session takes one when it comes free, if that is faster).
 */
export function loadAware(tuning: Partial<LoadAwareTuning> = {}): PairingPolicy {
  const settings: LoadAwareTuning = { ...PAIRING_TUNING_DEFAULTS.loadAware, ...tuning };
  const rates = new PairRateCache();
  return (fleet, request, context) => {
    const groups = fleetGroups(fleet);
    const candidates = candidatePairs(fleet, request, groups);
    if (isDecision(candidates) && candidates.kind !== "wait") return candidates;
    const aloneRateOf = (v: WorkerView) => predictAloneRate(v, settings, context);
    const alone = fastestAlone(freeVerifiers(fleet, request, groups), aloneRateOf);
    if (isDecision(candidates)) {
      return alone
        ? {
            kind: "alone",
            verifierId: alone.id,
            reason: "every compatible drafter is busy: decoding alone until one is free",
          }
        : candidates;
    }
    const predict = (p: CandidatePair) => predictPairRate(p, context, settings);
    const rateOf = (p: CandidatePair) => rates.rate(p, context, predict);
    const measured = (verifier: WorkerView, drafter: WorkerView) =>
      context?.roundTripMs?.(drafter.id, verifier.id) !== undefined;
    const charged = (drafter: WorkerView) => !onLowBattery(drafter, settings.lowBattery);
    const pair =
      bestPair(candidates, rateOf, settings, { eligible: charged, measured }) ??
      bestPair(candidates, rateOf, settings, { measured })!;
    const pairRate = rateOf(pair);
    const aloneRate = alone ? aloneRateOf(alone) : 0;
    // Alone is chosen over a pair only on experience: until this drafter model has been seen
    // against the target, speculation is tried (else its acceptance would never be learnt). A
    // verifier that drafts for itself speculates too: the better prediction wins at once.
    const known =
      context?.acceptance?.(pair.drafter.modelName, pair.verifier.modelName) !== undefined ||
      alone?.profile?.selfDraft !== undefined;
    const goAlone = alone && known && aloneRate > pairRate;
    const sooner = soonerByWaiting(fleet, request, context, settings, goAlone ? aloneRate : pairRate);
    if (sooner) return sooner;
    if (goAlone) {
      return {
        kind: "alone",
        verifierId: alone.id,
        reason: `predicted ${aloneRate.toFixed(0)} tokens/s alone, ${pairRate.toFixed(0)} with the best free drafter`,
      };
    }
    return pairDecision(pair);
  };
}

/**
 * The verifier predicted fastest alone (first in id order on a tie), or null; alike verifiers (one
 * kind, equal sessions) are predicted once.
 */
function fastestAlone(
  verifiers: ReadonlyArray<{ verifier: WorkerView; kind: number }>,
  rateOf: (verifier: WorkerView) => number,
): WorkerView | null {
  if (verifiers.length === 0) return null;
  const rates = new Map<number, number>();
  const best = minimise(verifiers, ({ verifier, kind }) => {
    const like = alike(kind, verifier);
    if (like === null) return -rateOf(verifier);
    let rate = rates.get(like);
    if (rate === undefined) rates.set(like, (rate = rateOf(verifier)));
    return -rate;
  });
  return best.verifier;
}

/**
 * Shortest expected completion (on fleets of up to 32 workers): a request that would
 * finish sooner by waiting for a slot on a faster, full pair than on the best free option waits.
 * A full worker with k sessions of this length frees a slot every D/k on average (D: a session's
 * time there), and the requests already waiting go first; the free option must be beaten by
 * `waitGain`. A request that has waited as long as the free option would take stops waiting,
 * so waiting never costs more than twice the free option.
 */
function soonerByWaiting(
  fleet: readonly WorkerView[],
  request: PairingRequest,
  context: PairingContext | undefined,
  tuning: LoadAwareTuning,
  freeRate: number,
): PairingDecision | null {
  const tokens = request.maxTokens;
  if (!tokens || freeRate <= 0) return null;
  const freeMs = (1000 * tokens) / freeRate;
  const waitedMs = request.waitedMs ?? 0;
  if (waitedMs >= freeMs) return null;
  // Small fleets only: every pair, free or not, is weighed (a large one would double a decision's cost).
  if (fleet.length > tuning.waitMaxWorkers) return null;
  const verifiers = fleet.filter(
    (w) => w.role === "verifier" && w.ready && !w.degraded && w.modelName === request.model,
  );
  const drafters = fleet.filter(
    (w) => w.role === "drafter" && w.ready && !w.degraded && !onLowBattery(w, tuning.lowBattery),
  );
  const full = (w: WorkerView) => !hasRoom(w);
  let best: { ms: number; pair: CandidatePair } | null = null;
  for (const verifier of verifiers) {
    for (const drafter of drafters) {
      if (!canPair(verifier, drafter) || !(full(verifier) || full(drafter))) continue;
      // It joins when a session leaves: the loads it will share, counting itself.
      const joined = {
        verifier: full(verifier) ? withoutSession(verifier) : verifier,
        drafter: full(drafter) ? withoutSession(drafter) : drafter,
      };
      const sessionMs = (1000 * tokens) / predictPairRate(joined, context, tuning);
      const slotMs = Math.max(...[verifier, drafter].filter(full).map((w) => sessionMs / w.maxSessions));
      const ms = Math.max(0, ((request.ahead ?? 0) + 1) * slotMs - waitedMs) + sessionMs;
      if (!best || ms < best.ms) best = { ms, pair: { verifier, drafter } };
    }
  }
  if (!best || best.ms * (1 + tuning.waitGain) > freeMs - waitedMs) return null;
  return {
    kind: "wait",
    reason: `${best.pair.verifier.id} with ${best.pair.drafter.id} should finish it in ${best.ms.toFixed(0)} ms once a slot frees, the best free option in ${(freeMs - waitedMs).toFixed(0)} ms`,
  };
}
