import type { ModelDescriptor } from "#contracts";
import type { Logger } from "#logging";
import { compareQ, isForged, type Distribution, type QComparison, type SamplingParams } from "#speculation";
import type { AuditMeter } from "./audit-meter.js";
import type { DraftReplay } from "#llama";

/** Where the drafter's model for a recompute comes from (`AuditModels`; a fake in tests). */
export interface ReplaySource {
  forDrafter(model: ModelDescriptor): Promise<Pick<DraftReplay, "replay"> | null>;
}

/** A sampled round already applied, kept to recompute its q. */
export interface AppliedRound {
  sessionId: string;
  drafterId: string;
  drafterModel: ModelDescriptor | null;
  position: number;
  /** The committed tokens before the round. */
  context: readonly number[];
  draft: readonly number[];
  q: readonly Distribution[];
  sampling: SamplingParams;
}

/** What a recompute found wrong: the position and how far the q sent was from the model's. */
export interface ForgedQ {
  round: AppliedRound;
  index: number;
  comparison: QComparison;
  sent: number;
  recomputed: number;
}

/**
 * The re-computation audit: a random fraction of sampled rounds (VERIFY_AUDIT_FRACTION) have
 * their q recomputed with the drafter's own model, after the round was answered, one at a time
 * off the hot path (a round already applied stays applied: the audit judges the drafter). At most
 * `maxPending` rounds wait; more are dropped (`busy`) rather than slow the verifier down.
 */
export class RecomputeAudit {
  private readonly pending: AppliedRound[] = [];
  private running: Promise<void> | null = null;
  /** Drafters already logged as having no audit model. */
  private readonly unmatched = new Set<string>();

  constructor(
    private readonly models: ReplaySource | null,
    private readonly fraction: number,
    private readonly meter: AuditMeter,
    private readonly log: Logger,
    private readonly onForged: (forged: ForgedQ) => void,
    private readonly random: () => number = Math.random,
    private readonly maxPending = 4,
  ) {}

  /** Whether this round is drawn for a recompute (decided before it is applied, to keep its context). */
  draws(): boolean {
    return this.fraction > 0 && this.random() < this.fraction;
  }

  submit(round: AppliedRound): void {
    if (this.pending.length >= this.maxPending) {
      this.meter.skipped("busy");
      return;
    }
    this.pending.push(round);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  /** Settles when every submitted round has been audited (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let round = this.pending.shift(); round; round = this.pending.shift()) {
      try {
        await this.audit(round);
      } catch (err) {
        this.meter.skipped("error");
        this.log.warn({ sessionId: round.sessionId, drafterId: round.drafterId, err: String(err) }, "audit failed");
      }
    }
  }

  private async audit(round: AppliedRound): Promise<void> {
    const replay = round.drafterModel && this.models ? await this.models.forDrafter(round.drafterModel) : null;
    if (!replay) {
      this.meter.skipped("no_model");
      if (!this.unmatched.has(round.drafterId)) {
        this.unmatched.add(round.drafterId);
        this.log.warn(
          { drafterId: round.drafterId, model: round.drafterModel?.name ?? null },
          "no audit model for this drafter (VERIFY_AUDIT_MODELS): only the draw check applies",
        );
      }
      return;
    }
    const replayed = await replay.replay(round.context, round.draft, round.sampling);
    this.meter.audited(round.drafterId);
    let drawsDiffer = 0;
    for (let index = 0; index < round.draft.length; index++) {
      const token = round.draft[index]!;
      const comparison = compareQ(round.q[index]!, replayed.q[index]!, token);
      if (isForged(comparison)) {
        this.meter.failed(round.drafterId);
        const sent = round.q[index]!.get(token) ?? 0;
        this.onForged({ round, index, comparison, sent, recomputed: replayed.q[index]!.get(token) ?? 0 });
        return;
      }
      if (replayed.drawn[index] !== token) drawsDiffer++;
    }
    // The seeded redraw may flip on a boundary by float error: noted, not held against the drafter.
    if (drawsDiffer > 0)
      this.log.info(
        { sessionId: round.sessionId, drafterId: round.drafterId, drawsDiffer, of: round.draft.length },
        "audited round: q as sent, but the drafter's seeded draw came out differently",
      );
  }
}
