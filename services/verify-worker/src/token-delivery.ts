import { BATCHED_EVENTS_MS, type TokenEvents } from "#contracts";
import type { JournalEntry } from "#journal";

/**
 * When a session's committed tokens are journalled and published (then in one entry, one event).
 * `each-round`: every round's at once. `batched` (a client that waits for the whole answer): the
 * first tokens at once (the gateway's time to first token stays true), then what the rounds commit
 * is held and goes out once BATCHED_EVENTS_MS have passed since the last, or with the last round,
 * or when the session ends or moves (SessionCloser). Tokens held are neither journalled nor
 * published: a verifier lost meanwhile costs its successor those rounds again, never a token the
 * client saw.
 */
export class TokenDelivery {
  private held: JournalEntry | null = null;
  /** Whether `held`'s arrays are this object's own (copied at the first merge), not a round's. */
  private merged = false;
  private deliveredAt: number | null = null;

  constructor(
    readonly mode: TokenEvents,
    private readonly everyMs = BATCHED_EVENTS_MS,
  ) {}

  /** A round's committed tokens, after those already held. */
  add(entry: JournalEntry): void {
    if (!this.held) {
      this.held = entry;
      this.merged = false;
      return;
    }
    if (!this.merged) {
      const first = this.held;
      this.held = { ...first, tokens: [...first.tokens], ...(first.textEnds ? { textEnds: [...first.textEnds] } : {}) };
      this.merged = true;
    }
    const held = this.held;
    if (held.textEnds && entry.textEnds) {
      for (const end of entry.textEnds) held.textEnds.push(held.text.length + end);
    } else delete held.textEnds;
    held.tokens.push(...entry.tokens);
    held.text += entry.text;
  }

  /** What to journal and publish now (`now`: performance.now()), or null to hold on; `last`: the session's last round. */
  due(now: number, last: boolean): JournalEntry | null {
    if (!this.held) return null;
    if (this.mode === "batched" && !last && this.deliveredAt !== null && now - this.deliveredAt < this.everyMs)
      return null;
    this.deliveredAt = now;
    return this.take();
  }

  /** Whatever is held, at once (the session ends or moves); null: nothing. */
  take(): JournalEntry | null {
    const held = this.held;
    this.held = null;
    return held;
  }
}
