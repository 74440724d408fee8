import { distributionProblem, DrawDetector, drawPValue, type Distribution, type DrawEvidence } from "#speculation";

/** Why a drafter failed the draw check, with what was seen. */
export interface DrawFailure {
  reason: string;
  evidence: DrawEvidence & { token: number; index: number };
}

/**
 * The draw check, run on every drafted token of every sampled round before it is verified:
 * each drafter has one sequential detector over its whole life on this verifier (libs/speculation
 * audit README: false alarms ≤ 2N/10¹⁴ over N drafted tokens; a forged q(x) = 1e-300 caught at its
 * first token). `uniform` is the verifier's own randomness for the p-value's ties.
 */
export class DrawCheck {
  private readonly detectors = new Map<string, DrawDetector>();

  constructor(private readonly uniform: () => number = Math.random) {}

  /** Null when the drafts are plausible draws from the q sent; else why not (the drafter is lying). */
  check(drafterId: string, draft: readonly number[], q: readonly Distribution[]): DrawFailure | null {
    let detector = this.detectors.get(drafterId);
    if (!detector) this.detectors.set(drafterId, (detector = new DrawDetector()));
    for (let index = 0; index < draft.length; index++) {
      const token = draft[index]!;
      const distribution = q[index]!;
      const problem = distributionProblem(distribution, token);
      if (problem) return { reason: `malformed q: ${problem}`, evidence: { ...detector.evidence(), token, index } };
      if (detector.observe(drawPValue(distribution, token, this.uniform()))) {
        const evidence = { ...detector.evidence(), token, index };
        const side = evidence.alarm === "low" ? "far less likely under q than draws are" : "q's mode far too often";
        return { reason: `drafted tokens are not draws from the q sent: ${side}`, evidence };
      }
    }
    return null;
  }
}
