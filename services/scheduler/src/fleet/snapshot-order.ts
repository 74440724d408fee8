import type { FleetSnapshot } from "#contracts";

/** A fleet event may move a snapshot this many numbers ahead of the one held, no more. */
export const MAX_SEQ_STEP = 1000;
/** With no snapshot accepted for this long (the registry publishes every second), the registry is asked. */
export const STALE_AFTER_MS = 3000;

/** What to do with a snapshot offered. */
export type Verdict = "accepted" | "ignored" | "ask-registry";

/**
 * Which fleet snapshot the scheduler holds, ordered by the registry's own numbers, never by
 * clocks: within one registry process (`epoch`), a later `seq` replaces an earlier one, by at
 * most MAX_SEQ_STEP at a time. A snapshot of another epoch (a restarted registry), a jump too far
 * ahead, or a held snapshot gone stale while events keep coming is settled by asking the registry
 * itself, whose answer is taken as it is. So no single page, however dated or numbered, can make
 * the scheduler ignore the real fleet for longer than STALE_AFTER_MS.
 */
export class SnapshotOrder {
  private held: FleetSnapshot | null = null;
  private acceptedAt = 0;

  get snapshot(): FleetSnapshot | null {
    return this.held;
  }

  /** When the held snapshot was accepted (ms), 0 if none. */
  get since(): number {
    return this.acceptedAt;
  }

  /** A snapshot from a fleet event. */
  offer(snapshot: FleetSnapshot, now: number): Verdict {
    const held = this.held;
    if (held && snapshot.epoch === held.epoch && snapshot.seq > held.seq && snapshot.seq - held.seq <= MAX_SEQ_STEP) {
      return this.accept(snapshot, now);
    }
    if (held && snapshot.epoch === held.epoch && snapshot.seq <= held.seq && now - this.acceptedAt <= STALE_AFTER_MS) {
      return "ignored"; // an older one, crossing a newer (a reply and an event)
    }
    return "ask-registry";
  }

  /** The registry's own answer to a request: the fleet as it is. */
  answer(snapshot: FleetSnapshot, now: number): Verdict {
    const held = this.held;
    // Only an event newer than this answer, of the same registry, stays.
    if (held && snapshot.epoch === held.epoch && snapshot.seq < held.seq && now - this.acceptedAt <= STALE_AFTER_MS) {
      return "ignored";
    }
    return this.accept(snapshot, now);
  }

  private accept(snapshot: FleetSnapshot, now: number): Verdict {
    this.held = snapshot;
    this.acceptedAt = now;
    return "accepted";
  }
}
