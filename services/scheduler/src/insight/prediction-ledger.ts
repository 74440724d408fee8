/** A session's committed tokens at a moment. */
interface Mark {
  tokens: number;
  at: number;
}

/** One stretch of a session on one pair (or alone at its verifier): what was predicted, what came. */
interface Stretch {
  predicted: number | null;
  /** From here on the achieved rate is measured; null until the session's progress is first known. */
  base: Mark | null;
  last: Mark | null;
}

export interface SessionRates {
  /** Committed tokens/s predicted for the session where it runs now; null: none was made. */
  predicted: number | null;
  /** Committed tokens/s measured since then; null until two marks apart in time. */
  achieved: number | null;
}

/**
 * Predicted against achieved committed tokens/s per running session, in memory. A prediction
 * (placement, re-pairing, a drafter attached or lost) opens a stretch; the achieved rate is the
 * committed tokens since the stretch's first known progress (the open reply, or the table's
 * count when it was re-paired) over the time they took, from the round reports. Closing a
 * stretch (a new prediction, the session's end) gives achieved / predicted, or null when either
 * is unknown. Pure: the caller gives every time.
 */
export class PredictionLedger {
  private readonly stretches = new Map<string, Stretch>();

  /**
   * A new prediction for the session; `tokens`: its committed tokens now, when known (else the
   * next progress starts the measurement). Returns the previous stretch's ratio.
   */
  predict(sessionId: string, predicted: number | null, at: number, tokens: number | null): number | null {
    const ratio = this.close(sessionId);
    const base = tokens === null ? null : { tokens, at };
    this.stretches.set(sessionId, { predicted: usable(predicted), base, last: null });
    return ratio;
  }

  /** The session's committed tokens (generated after the prompt) at `at`. */
  progressed(sessionId: string, tokens: number, at: number): void {
    const stretch = this.stretches.get(sessionId);
    if (!stretch) return;
    if (stretch.base === null) stretch.base = { tokens, at };
    else if (tokens >= stretch.base.tokens && at >= stretch.base.at) stretch.last = { tokens, at };
  }

  /** The session ended with `tokens` committed: its last stretch's ratio (and it is forgotten). */
  ended(sessionId: string, tokens: number, at: number): number | null {
    this.progressed(sessionId, tokens, at);
    return this.close(sessionId);
  }

  rates(sessionId: string): SessionRates {
    const stretch = this.stretches.get(sessionId);
    return { predicted: stretch?.predicted ?? null, achieved: stretch ? achieved(stretch) : null };
  }

  /** Forgets sessions no longer running or waiting (ended without a word, failed). */
  retain(isKnown: (sessionId: string) => boolean): void {
    for (const sessionId of this.stretches.keys()) if (!isKnown(sessionId)) this.stretches.delete(sessionId);
  }

  get size(): number {
    return this.stretches.size;
  }

  private close(sessionId: string): number | null {
    const stretch = this.stretches.get(sessionId);
    if (!stretch) return null;
    this.stretches.delete(sessionId);
    const rate = achieved(stretch);
    return rate === null || !stretch.predicted ? null : rate / stretch.predicted;
  }
}

function achieved({ base, last }: Stretch): number | null {
  if (!base || !last || last.at <= base.at) return null;
  return ((last.tokens - base.tokens) * 1000) / (last.at - base.at);
}

/** A rate a schema takes: finite and not negative. */
function usable(rate: number | null): number | null {
  return rate !== null && Number.isFinite(rate) && rate >= 0 ? rate : null;
}
