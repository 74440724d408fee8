import type { PairingContext, PairingPolicy, WorkerView } from "#pairing";
import {
  attachDrafters,
  indexViews,
  PairStats,
  queuePass,
  type AloneSession,
  type Attachment,
  type PassOutcome,
  type ViewIndex,
  type WaitingRequest,
} from "#placement";

export interface SimPlacementOptions {
  /** Waiting requests that chose to wait, per model, that a pass looks past (SCHEDULER_QUEUE_LOOKAHEAD). */
  lookahead: number;
  /** A request that waited longer leaves (SCHEDULER_QUEUE_TIMEOUT_MS); infinite: never. */
  queueTimeoutMs: number;
  /** The uniform draws of the policies that draw (random, power-of-two). */
  random: () => number;
}

/** What a drafter reports of one verifier it works with (its telemetry's `links` entry). */
export interface LinkFigures {
  verifierId: string;
  /** The network's share of a round, lately (`RoundEstimator.estimates().roundTripMs`). */
  roundTripMs: number;
  acceptance: number;
  rounds: number;
}

/**
 * The scheduler's placement as DSD-Sim runs it: libs/placement's loop, over the simulator's
 * live views, entered where the scheduler enters it. `submit` decides a request at once unless
 * others of its model wait (AdmissionService.submit); `pass` serves the queue in order
 * (AdmissionService.pump: `queuePass`); `attach` offers drafters to the sessions decoding alone,
 * oldest first (RecoveryService.attachDrafters: `attachDrafters`); `sessionEnded` does both, in
 * the scheduler's order; `report` takes a drafter's link figures into the pair statistics the
 * policy weighs (FleetViewService: `PairStats`). Placements and attachments take their slots on
 * the views; the simulator frees them as sessions leave.
 */
export class SimPlacement<W extends WaitingRequest, S extends AloneSession> {
  readonly stats = new PairStats();
  /** Live: later reports show through it. */
  readonly context: PairingContext;
  /** The views never change (only their loads do): indexed once. */
  private readonly index: ViewIndex;
  /** Waiting requests in serving order (arrival: every simulated request has priority 0). */
  private readonly queue: W[] = [];
  private head = 0;
  /** Requests that left the queue from behind its head (skipped when the head reaches them). */
  private readonly left = new Set<W>();
  private readonly waitingByModel = new Map<string, number>();
  /** Sessions decoding alone that would take a drafter, oldest first (insertion order). */
  private readonly alone = new Set<S>();

  constructor(
    readonly views: WorkerView[],
    private readonly policy: PairingPolicy,
    private readonly options: SimPlacementOptions,
  ) {
    this.index = indexViews(views);
    this.context = this.stats.context(options.random);
  }

  /** Requests waiting for a pair. */
  get waiting(): number {
    return this.queue.length - this.head - this.left.size;
  }

  /**
   * A request arrives. Behind others of its model it waits its turn (a pass serves it); else it
   * is decided at once: placed, refused, or queued when it must wait.
   */
  submit(request: W, now: number): PassOutcome<W>[] {
    if ((this.waitingByModel.get(request.model) ?? 0) > 0) {
      this.enqueue(request);
      return [];
    }
    const outcomes = this.queuePass([request], now);
    if (outcomes.length === 0) this.enqueue(request);
    return outcomes;
  }

  /** One pass over the waiting requests; those placed, expired or refused leave the queue. */
  pass(now: number): PassOutcome<W>[] {
    if (this.waiting === 0) return [];
    const outcomes = this.queuePass(this.waitingInOrder(), now);
    for (const { waiting } of outcomes) this.leave(waiting);
    return outcomes;
  }

  /**
   * A session ended, its slots already freed: the queue is served, then the sessions that were
   * decoding alone may take drafters (as the scheduler on a session's end: a pump, then an attach
   * pass, in which the sessions this pass just placed are not yet asked about: they are opening).
   */
  sessionEnded(now: number): { placed: PassOutcome<W>[]; attached: Attachment<S>[] } {
    const placed = this.pass(now);
    return { placed, attached: this.attach() };
  }

  /** A session now decoding alone would take a drafter when one is free. */
  wantsDrafter(session: S): void {
    this.alone.add(session);
  }

  /** It no longer waits for a drafter (it ended). */
  forget(session: S): void {
    this.alone.delete(session);
  }

  /** Drafters for the sessions decoding alone, oldest first; each attached one's drafter slot is taken. */
  attach(): Attachment<S>[] {
    if (this.alone.size === 0) return [];
    const attachments = attachDrafters(this.alone, this.views, this.policy, this.context, this.index);
    for (const { session } of attachments) this.alone.delete(session);
    return attachments;
  }

  /**
   * A drafter's latest figures for one verifier, taken as the scheduler takes them from its
   * telemetry: with both workers' models, and their broker round trips for the excess.
   */
  report(drafterId: string, link: LinkFigures): void {
    const drafter = this.index.byId.get(drafterId)!;
    const verifier = this.index.byId.get(link.verifierId)!;
    this.stats.report(
      {
        drafterId,
        drafterModel: drafter.modelName,
        verifierId: link.verifierId,
        targetModel: verifier.modelName,
        roundTripMs: link.roundTripMs,
        acceptance: link.acceptance,
        rounds: link.rounds,
      },
      drafter.brokerRttMs !== undefined && verifier.brokerRttMs !== undefined
        ? { drafter: drafter.brokerRttMs, verifier: verifier.brokerRttMs }
        : undefined,
    );
  }

  private queuePass(waiting: Iterable<W>, now: number): PassOutcome<W>[] {
    const { lookahead, queueTimeoutMs } = this.options;
    const options = { now, queueTimeoutMs, lookahead, index: this.index };
    return queuePass(waiting, this.views, this.policy, this.context, options);
  }

  private *waitingInOrder(): Generator<W> {
    for (let i = this.head; i < this.queue.length; i++) {
      const request = this.queue[i]!;
      if (!this.left.has(request)) yield request;
    }
  }

  private enqueue(request: W): void {
    this.queue.push(request);
    this.waitingByModel.set(request.model, (this.waitingByModel.get(request.model) ?? 0) + 1);
  }

  private leave(request: W): void {
    this.waitingByModel.set(request.model, this.waitingByModel.get(request.model)! - 1);
    if (this.queue[this.head] !== request) {
      this.left.add(request);
      return;
    }
    this.head++;
    while (this.head < this.queue.length && this.left.delete(this.queue[this.head]!)) this.head++;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
