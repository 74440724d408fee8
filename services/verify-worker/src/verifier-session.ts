import type { ModelDescriptor, Sampling } from "#contracts";
import type { TargetSession } from "#llama";
import type { SessionTrace } from "./session-trace.js";
import { JournalQueue } from "./journal-queue.js";
import { TextStream } from "./text-stream.js";
import { TokenDelivery } from "./token-delivery.js";

/** What the verifier keeps per session: the single writer of its committed sequence. */
export class VerifierSession {
  /**
   * The committed tokens after the prompt. Each is journalled, then published, in order; the
   * last round's may still be on their way (`journal`), or held back for a later event (`delivery`).
   */
  readonly generated: number[] = [];
  rounds = 0;
  drafted = 0;
  accepted = 0;
  finished = false;
  /** Entries this session has in the journal: where its next one goes. */
  journalEntries = 0;
  /** How many of `generated` are journalled (and so published): fewer while some are held back or being written. */
  journalledTokens = 0;
  /** Its rounds' journal writes, in order, while the next round is verified (round-runner.ts). */
  readonly journal = new JournalQueue();
  /** True once no drafter follows the session: the verifier decodes it alone. */
  alone: boolean;
  /** When the drafter was last heard from (a round); a silent drafter is dropped. */
  lastDrafterAt = Date.now();
  /** The model its drafter registered (the audit recomputes q with it); null when unknown. */
  drafterModel: ModelDescriptor | null = null;
  /** Its span, from open to end (rounds summed up at the end); null until opened or while tracing is off. */
  trace: SessionTrace | null = null;

  constructor(
    readonly id: string,
    /** Its sequence on the target: the native runner's for a greedy session when there is one. */
    readonly model: TargetSession,
    readonly promptTokens: readonly number[],
    readonly maxTokens: number,
    readonly sampling: Sampling,
    public drafterId: string | null,
    readonly text: TextStream,
    /** When its committed tokens are journalled and published: each round's, or batched. */
    readonly delivery = new TokenDelivery("each-round"),
  ) {
    this.alone = drafterId === null;
  }

  get promptLength(): number {
    return this.promptTokens.length;
  }
}
