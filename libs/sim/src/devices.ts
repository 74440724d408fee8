import type { DrafterProfile, VerifierProfile } from "./config.js";

/**
 * ms of one forward pass over n tokens, from a profile's measured points: linear between them,
 * and beyond the last, along the line through the last two (or proportionally, with one point).
 */
export function verifyCost(profile: VerifierProfile): (tokens: number) => number {
  const points = [...profile.verifyMs].sort((a, b) => a.tokens - b.tokens);
  if (points.length === 1) {
    const { tokens, ms } = points[0]!;
    return (n) => (ms * n) / tokens;
  }
  return (n) => {
    let i = 1;
    while (i < points.length - 1 && points[i]!.tokens < n) i++;
    const a = points[i - 1]!;
    const b = points[i]!;
    const slope = (b.ms - a.ms) / (b.tokens - a.tokens);
    return Math.max(0, a.ms + slope * (n - a.tokens));
  };
}

/** The verifier profile as the pairing policy reads it: one pass per window γ (γ + 1 tokens). */
export function verifyProfileByWindow(
  cost: (tokens: number) => number,
  windows = [0, 1, 2, 4, 8],
): Array<{ window: number; ms: number }> {
  return windows.map((window) => ({ window, ms: cost(window + 1) }));
}

export type { DrafterProfile, VerifierProfile };
