import { Draw, uniformFor } from "./seeded.js";

/**
 * How a request samples: llama.cpp's chain top-k → top-p → temperature → draw. `temperature` 0
 * is greedy; `topK` 0 and `topP` 1 switch those truncations off.
 */
export interface SamplingParams {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, seed: 0 };

export function isGreedy(sampling: SamplingParams): boolean {
  return sampling.temperature <= 0;
}

/** Probabilities of some tokens; a token absent from it has probability 0 unless said otherwise. */
export type Distribution = ReadonlyMap<number, number>;

/** Below this, the mass of p that a target pass did not report is taken as 0 (float error). */
const TAIL_EPSILON = 1e-6;

/** A drafted token and the drafter's (truncated) distribution q it was drawn from. */
export interface DraftPosition {
  token: number;
  q: Distribution;
}

/**
 * What one target pass tells about one position: p for the tokens it reported (every token of
 * the drafter's support, 0 when the target's truncation removed it, plus the target's top
 * tokens), and the target's own draw from p there.
 */
export interface TargetPosition {
  known: Distribution;
  sample: number;
}

export interface SampledVerdict {
  /** Draft tokens accepted (0..γ). */
  accepted: number;
  /**
   * The tokens this round commits: the accepted drafts, then one token drawn from the residual
   * or (all accepted) the bonus. When `needsTail`, only the accepted drafts: see below.
   */
  tokens: number[];
  /**
   * The residual draw at position `accepted` fell on the part of p the pass did not report:
   * the caller fetches the full p there and appends `drawOutside(full, known, …)`.
   */
  needsTail: boolean;
}

/**
 * Speculative sampling (Leviathan et al. 2023, Algorithm 1; Chen et al. 2023): accept draft
 * token x with probability min(1, p(x)/q(x)); at the first rejection draw from
 * norm(max(0, p − q)); when every draft is accepted, the bonus token is the target's own draw.
 * The committed tokens are distributed exactly as decoding the target alone.
 *
 * `targets` has γ + 1 positions (after the committed prefix, then after each draft token).
 * Every uniform comes from the request's `seed` and the absolute position it decides, so a
 * session's choices do not depend on how its tokens were split into rounds.
 *
 * The residual is drawn without the full p: over the tokens the pass reported it is computed
 * exactly; the rest of p (its tail, where q is 0, so the residual equals p) is reached through
 * the target's own draw y ~ p when y lies in the tail — P(y = t) = p(t) — and otherwise by asking
 * the caller for the full p (`needsTail`), which is rare when the pass reports p's top tokens.
 */
export function verifySampled(
  drafts: readonly DraftPosition[],
  targets: readonly TargetPosition[],
  seed: number,
  position: number,
): SampledVerdict {
  if (targets.length !== drafts.length + 1) {
    throw new Error(
      `expected ${drafts.length + 1} target positions for a window of ${drafts.length}, got ${targets.length}`,
    );
  }
  const tokens: number[] = [];
  for (let i = 0; i < drafts.length; i++) {
    const { token, q } = drafts[i]!;
    const target = targets[i]!;
    const qx = q.get(token) ?? 0;
    const px = target.known.get(token) ?? 0;
    if (qx <= 0) throw new Error(`draft token ${token} has no probability under the drafter's distribution`);
    if (uniformFor(seed, position + i, Draw.accept) * qx < px) {
      tokens.push(token);
      continue;
    }
    const residual = residualDraw(q, target, uniformFor(seed, position + i, Draw.residual));
    if (residual === null) return { accepted: i, tokens, needsTail: true };
    tokens.push(residual);
    return { accepted: i, tokens, needsTail: false };
  }
  tokens.push(targets[drafts.length]!.sample);
  return { accepted: drafts.length, tokens, needsTail: false };
}

/** A draw from norm(max(0, p − q)), or null when it falls where the pass did not look. */
function residualDraw(q: Distribution, target: TargetPosition, u: number): number | null {
  let knownMass = 0;
  let reported = 0;
  for (const [token, p] of target.known) {
    reported += p;
    knownMass += Math.max(0, p - (q.get(token) ?? 0));
  }
  const tail = reported < 1 - TAIL_EPSILON ? 1 - reported : 0;
  const total = knownMass + tail;
  // p ≤ q everywhere means p = q, and then nothing is ever rejected; float error aside.
  if (total <= 0) return target.sample;
  let v = u * total;
  if (v < knownMass) {
    let last = target.sample;
    for (const [token, p] of target.known) {
      const weight = Math.max(0, p - (q.get(token) ?? 0));
      if (weight <= 0) continue;
      last = token;
      if (v < weight) return token;
      v -= weight;
    }
    return last;
  }
  // The tail: q is 0 there, so the residual is p restricted to it. The target's own draw is
  // such a draw whenever it lands there; otherwise only the full p will do.
  return target.known.has(target.sample) ? null : target.sample;
}

/**
 * A draw from `full` restricted to the tokens `known` does not hold (renormalised): the rest
 * of a residual draw that `verifySampled` handed back with `needsTail`.
 */
export function drawOutside(full: Distribution, known: Distribution, u: number): number {
  let mass = 0;
  for (const [token, p] of full) if (!known.has(token)) mass += p;
  if (mass <= 0) throw new Error("the target's distribution has no mass outside the tokens already seen");
  let v = u * mass;
  let last = -1;
  for (const [token, p] of full) {
    if (known.has(token) || p <= 0) continue;
    last = token;
    if (v < p) return token;
    v -= p;
  }
  return last;
}
