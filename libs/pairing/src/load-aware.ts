import { bestWindow } from "#window";
import { candidatePairs, minimise, pairDecision } from "./candidates.js";
import type { CandidatePair, PairingContext, PairingPolicy, WorkerView } from "./types.js";

export interface LoadAwareOptions {
  /** α assumed for a drafter model and target model never seen together. */
  priorAcceptance: number;
  /** Round trip assumed for a drafter–verifier pair not measured yet, ms. */
  defaultRoundTripMs: number;
  /** A drafter on battery below this charge is chosen only when no other is free. */
  lowBattery: number;
  /** Largest window the prediction considers (the drafters' MAX_WINDOW). */
  maxWindow: number;
}

export const LOAD_AWARE_DEFAULTS: LoadAwareOptions = { priorAcceptance: 0.6, defaultRoundTripMs: 5, lowBattery: 0.2, maxWindow: 12 };

/** Verify ms ≈ a + b·n for a decode of n tokens, fitted to a verifier's profile (γ + 1 tokens per window). */
export function verifyCostLine(verifier: WorkerView): { a: number; b: number } {
  const points = (verifier.profile?.verifyMs ?? []).map((p) => ({ n: p.window + 1, ms: p.ms }));
  if (points.length === 0) return { a: 25, b: 5 };
  const meanN = points.reduce((s, p) => s + p.n, 0) / points.length;
  const meanMs = points.reduce((s, p) => s + p.ms, 0) / points.length;
  const varN = points.reduce((s, p) => s + (p.n - meanN) ** 2, 0);
  if (varN === 0) return { a: meanMs * 0.8, b: (meanMs * 0.2) / meanN };
  const b = Math.max(0, points.reduce((s, p) => s + (p.n - meanN) * (p.ms - meanMs), 0) / varN);
  return { a: Math.max(0, meanMs - b * meanN), b };
}

/**
 * Committed tokens per second a new session would get from this pair now: the best window's
 * Leviathan rate (libs/window) with α from the history of this drafter model against this
 * target model, the drafter's measured ms per token shared with the sessions it already drafts,
 * the verifier's measured verify cost with every session it already runs adding its window to
 * each decode, and the pair's measured round trip.
 */
export function predictPairRate(pair: CandidatePair, context: PairingContext = {}, options: LoadAwareOptions = LOAD_AWARE_DEFAULTS): number {
  const { verifier, drafter } = pair;
  const acceptance = context.acceptance?.(drafter.modelName, verifier.modelName) ?? options.priorAcceptance;
  const draftMsPerToken = (drafter.profile?.draftMsPerToken ?? 1) * (1 + drafter.activeSessions);
  const { a, b } = verifyCostLine(verifier);
  const sharing = 1 + verifier.activeSessions;
  const roundTripMs = context.roundTripMs?.(drafter.id, verifier.id) ?? options.defaultRoundTripMs;
  return bestWindow({ acceptance, draftMsPerToken, roundTripMs, verifyMs: (window) => a + b * sharing * (window + 1) }, options.maxWindow).tokensPerSecond;
}

export const onLowBattery = (drafter: WorkerView, threshold: number) =>
  drafter.power?.source === "battery" && drafter.power.level !== null && drafter.power.level < threshold;

/**
 * Load-aware (the default): the free pair with the highest predicted committed tokens per
 * second (`predictPairRate`), leaving drafters on low battery aside while another is free.
 */
export function loadAware(options: Partial<LoadAwareOptions> = {}): PairingPolicy {
  const settings = { ...LOAD_AWARE_DEFAULTS, ...options };
  return (fleet, request, context) => {
    const pairs = candidatePairs(fleet, request);
    if (!Array.isArray(pairs)) return pairs;
    const charged = pairs.filter((p) => !onLowBattery(p.drafter, settings.lowBattery));
    return pairDecision(minimise(charged.length > 0 ? charged : pairs, (p) => -predictPairRate(p, context, settings)));
  };
}
