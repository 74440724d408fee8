/**
 * Expected tokens committed by one round with window γ when each draft token is accepted
 * independently with probability α: (1 − α^(γ+1)) / (1 − α), counting the correction or bonus
 * token (Leviathan, Kalman, Matias 2023, "Fast Inference from Transformers via Speculative
 * Decoding", eq. 1). γ = 0 commits exactly one token.
 */
export function expectedTokensPerRound(window: number, acceptance: number): number {
  if (window < 0 || !Number.isInteger(window)) throw new Error(`window must be a whole number ≥ 0, got ${window}`);
  const alpha = Math.min(Math.max(acceptance, 0), 1);
  if (alpha === 1) return window + 1;
  return (1 - alpha ** (window + 1)) / (1 - alpha);
}

/**
 * The acceptance rate α that best explains observed rounds under that model: every accepted
 * token is a success, every round that stopped short of its window is one failure
 * (the maximum-likelihood estimate of a geometric run truncated at γ).
 */
export function acceptanceFromRounds(rounds: ReadonlyArray<{ window: number; accepted: number }>): number | null {
  let accepted = 0;
  let rejections = 0;
  for (const round of rounds) {
    accepted += round.accepted;
    if (round.accepted < round.window) rejections++;
  }
  return accepted + rejections === 0 ? null : accepted / (accepted + rejections);
}
