/** A verify round waiting at a verifier, as a batching policy sees it. */
export interface PendingRound {
  sessionId: string;
  /** When it arrived, ms. */
  arrivedAt: number;
  /** Tokens the forward pass will evaluate for it: the uncached committed tail plus the draft. */
  tokens: number;
}

/** Picks, in order, the rounds to evaluate together now (at most `limit`). */
export type BatchingPolicy = (pending: readonly PendingRound[], limit: number) => PendingRound[];

/** First come, first served. */
export const fifo: BatchingPolicy = (pending, limit) =>
  [...pending].sort((a, b) => a.arrivedAt - b.arrivedAt).slice(0, limit);

/**
 * Length-aware (the DSD paper's alternative to FIFO): shortest rounds first, so a long prefill
 * does not hold many short verifies back; ties by arrival. A round waiting longer than
 * `maxWaitMs` goes first whatever its length, so nothing starves.
 */
export function lengthAware(now: () => number, maxWaitMs = 200): BatchingPolicy {
  return (pending, limit) => {
    const overdue = (r: PendingRound) => now() - r.arrivedAt > maxWaitMs;
    return [...pending]
      .sort((a, b) => Number(overdue(b)) - Number(overdue(a)) || a.tokens - b.tokens || a.arrivedAt - b.arrivedAt)
      .slice(0, limit);
  };
}

/** Batching policies by the name configuration uses (VERIFY_BATCHING, DSD-Sim's `policies.batching`). */
export const BATCHING_POLICY_NAMES = ["fifo", "length-aware"] as const;
export type BatchingPolicyName = (typeof BATCHING_POLICY_NAMES)[number];

export function batchingPolicy(name: BatchingPolicyName, now: () => number = Date.now): BatchingPolicy {
  return name === "fifo" ? fifo : lengthAware(now);
}
