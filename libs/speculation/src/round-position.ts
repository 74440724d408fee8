/**
 * Invariant 2: every round names the position it starts at, and nothing is applied twice.
 *
 * - At the session's position: applied.
 * - Behind it, with its first tokens repeating exactly what was committed since (a drafter that
 *   sent its next window before the previous round's answer, guessing that round's bonus token
 *   as the window's first): the repeated tokens are skipped, the rest is applied at the
 *   session's position.
 * - Behind it otherwise (a retry of an applied round, a duplicate, a drafter that fell behind):
 *   stale, answered with what was committed since. A retry never repeats what was committed
 *   after it, because a round's last committed token is the target's own: a correction differs
 *   from the draft token it replaces, and a bonus comes after the window (or, when the verifier
 *   cut the window at max_tokens, ends the session).
 * - Ahead of it (a window sent early on a guess that did not hold): stale, nothing applied.
 */
export type RoundAdmission =
  { kind: "apply"; skip: number } | { kind: "stale"; committedSince: number } | { kind: "ahead" };

export function admitRound(
  session: { readonly position: number; committedTokens(from: number): readonly number[] },
  round: { position: number; draft: readonly number[] },
): RoundAdmission {
  if (round.position === session.position) return { kind: "apply", skip: 0 };
  if (round.position > session.position) return { kind: "ahead" };
  const skip = session.position - round.position;
  if (skip < round.draft.length && repeats(round.draft, session.committedTokens(round.position)))
    return { kind: "apply", skip };
  return { kind: "stale", committedSince: round.position };
}

function repeats(draft: readonly number[], committed: readonly number[]): boolean {
  for (let i = 0; i < committed.length; i++) if (draft[i] !== committed[i]) return false;
  return true;
}
