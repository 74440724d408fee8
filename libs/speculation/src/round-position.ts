/**
 * Invariant 2: every round names the position it starts at, and the verifier applies it only
 * when that is the session's current position. Anything else (a retry of an applied round,
 * a duplicate, a drafter that fell behind) is answered with what was committed since, and
 * nothing is applied twice.
 */
export type RoundAdmission = { kind: "apply" } | { kind: "stale"; committedSince: number } | { kind: "ahead" };

export function admitRound(sessionPosition: number, roundPosition: number): RoundAdmission {
  if (roundPosition === sessionPosition) return { kind: "apply" };
  if (roundPosition < sessionPosition) return { kind: "stale", committedSince: roundPosition };
  return { kind: "ahead" };
}
