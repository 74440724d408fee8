/** What the matcher lets through for one piece of committed text. */
export interface StopStep {
  /** Text the client may see now: never a part of a stop string, nor what follows one. */
  text: string;
  /**
   * Where, in the piece just pushed, the first stop string completed (the index just after
   * its last character); null while none has.
   */
  stoppedAt: number | null;
}

/**
 * OpenAI's `stop` over committed text that arrives in pieces. The text ends right before the
 * first stop string to complete, reading the text character by character (at the same end, the
 * one that starts first); so where the pieces are cut (one token, a speculative round) never
 * changes the answer. A tail that could still become a stop string is held back until the next
 * piece tells, so a stream never shows part of a stop string.
 */
export class StopMatcher {
  private held = "";
  private stopped = false;
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    if (stops.some((s) => s.length === 0)) throw new Error("a stop string must not be empty");
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  /** Feeds the next piece of committed text; after a stop, nothing more is let through. */
  push(piece: string): StopStep {
    if (this.stopped) return { text: "", stoppedAt: null };
    if (this.stops.length === 0) return { text: piece, stoppedAt: null };
    const text = this.held + piece;
    const match = this.firstMatch(text);
    if (match) {
      this.stopped = true;
      this.held = "";
      return { text: text.slice(0, match.start), stoppedAt: match.end - (text.length - piece.length) };
    }
    const keep = this.heldTail(text);
    this.held = text.slice(text.length - keep);
    return { text: text.slice(0, text.length - keep), stoppedAt: null };
  }

  /** The text ended without a stop: what was held back is plain text after all. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** The stop string whose end comes first (then the one starting first); null if none. */
  private firstMatch(text: string): { start: number; end: number } | null {
    let best: { start: number; end: number } | null = null;
    for (const stop of this.stops) {
      const start = text.indexOf(stop);
      if (start < 0) continue;
      const end = start + stop.length;
      if (!best || end < best.end || (end === best.end && start < best.start)) best = { start, end };
    }
    return best;
  }

  /** Length of the longest tail of `text` that begins some stop string (shorter than it). */
  private heldTail(text: string): number {
    for (let keep = Math.min(this.longest - 1, text.length); keep > 0; keep--) {
      const tail = text.slice(text.length - keep);
      if (this.stops.some((s) => s.length > keep && s.startsWith(tail))) return keep;
    }
    return 0;
  }
}

/**
 * How many of a piece's tokens it takes to reach `stoppedAt` in its text: through the token whose
 * text completed the stop sequence. `textEnds[i]` is where token i's text ends in the piece (a
 * character split across tokens counts for the token that completes it). A verifier that does not
 * say gives no finer answer than the whole piece.
 */
export function tokensThrough(textEnds: readonly number[] | undefined, stoppedAt: number, tokens: number): number {
  if (!textEnds || textEnds.length !== tokens) return tokens;
  const i = textEnds.findIndex((end) => end >= stoppedAt);
  return i < 0 ? tokens : i + 1;
}
