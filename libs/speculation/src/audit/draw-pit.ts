import type { Distribution } from "../sampling.js";

/**
 * Total probability of q as sent. An honest drafter's q is a softmax over its truncated support
 * (llama.cpp's top-k ≤ 64 → top-p → temperature, renormalised in float32), so it sums to 1 up to
 * float error; anything further off is not a distribution a token could have been drawn from.
 */
export function distributionMass(q: Distribution): number {
  let mass = 0;
  for (const p of q.values()) mass += p;
  return mass;
}

/** How far from 1 an honest q's mass may be: float32 rounding over ≤ 1024 terms is ~1e-5. */
export const MASS_TOLERANCE = 1e-3;

/** What is structurally wrong with a q a draft claims to come from, or null. */
export function distributionProblem(q: Distribution, token: number): string | null {
  const mass = distributionMass(q);
  if (!Number.isFinite(mass) || Math.abs(mass - 1) > MASS_TOLERANCE) return `q sums to ${mass}, not 1`;
  if (!((q.get(token) ?? 0) > 0)) return `the drafted token ${token} has no probability in q`;
  return null;
}

/**
 * The randomised probability integral transform of a drafted token x under the q sent with it
 * (Brockwell 2007, "Universal residuals"; Czado, Gneiting & Held 2009, eq. 1, for count data):
 *
 *   u = P_{X~q}(q(X) < q(x)) + v · P_{X~q}(q(X) = q(x)),   v ~ U(0,1) independent,
 *
 * with q renormalised to its own mass. The statistic T = q(X) is discrete; randomising over its
 * ties makes u exactly U(0,1) when x ~ q, whatever q is and however it was truncated: a token
 * outside the support has q = 0 and is never drawn, so the support sent is the whole law. A
 * drafted token that q makes implausible (q(x) forged small, or a chosen token that q rarely
 * draws) gives u near 0; a drafter that always drafts q's mode gives u near 1.
 * `v` comes from the verifier's own randomness, never from anything the drafter knows.
 */
export function drawPValue(q: Distribution, token: number, v: number): number {
  const qx = q.get(token) ?? 0;
  let below = 0;
  let tied = 0;
  let mass = 0;
  for (const p of q.values()) {
    mass += p;
    if (p < qx) below += p;
    else if (p === qx) tied += p;
  }
  if (!(mass > 0)) return 0;
  return Math.min(1, (below + v * tied) / mass);
}
