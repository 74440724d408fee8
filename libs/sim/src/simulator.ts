import TinyQueue from "tinyqueue";
import {
  candidatePairs,
  createPairingPolicy,
  isDecision,
  type PairingContext,
  type PairingPolicy,
  type WorkerView,
} from "#pairing";
import { fromConfigDir, type SimConfig } from "./config.js";
import { DrafterSide } from "./drafter-side.js";
import { buildFleet, TARGET_MODEL, type SimDrafter, type SimFleet, type SimVerifier } from "./fleet.js";
import { Metrics, type SimSummary } from "./metrics.js";
import { PairHistory } from "./pair-history.js";
import { Random } from "./random.js";
import { Rebalancer } from "./rebalancing.js";
import { VerifierSide } from "./verifier-side.js";
import { Kind, newRound, type Session, type SimEvent, type World } from "./world.js";
import { openArrivals, requestShape, type SimRequest } from "./workload.js";

/** Waiting requests passed over, at most, for ones behind them that a free pair suits. */
const LOOKAHEAD = 4;

export interface SimOptions {
  /** Folder that profile and trace paths are relative to. */
  baseDir?: string;
  /** Called now and then with requests finished so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * DSD-Sim: a discrete-event simulation of a fleet serving a workload, seeded (the same
 * configuration gives the same summary). The pairing policy (libs/pairing), the verifiers'
 * batching policy (libs/batching) and each drafter's window policy with its estimator
 * (libs/window) are the production functions; the simulator supplies what the fleet would
 * measure: device costs from profiles, network trips, the target's acceptance.
 */
export function simulate(config: SimConfig, options: SimOptions = {}): SimSummary {
  return new Simulation(config, options).run();
}

/**
 * The simulation's clock and the scheduler's part: arrivals, the queue for a pair, placing
 * sessions, attaching drafters to sessions decoding alone, finishing. The drafters
 * (drafter-side.ts), the verifiers (verifier-side.ts) and the rebalancer (rebalancing.ts) run
 * on the shared `World` it holds.
 */
class Simulation implements World {
  private readonly events = new TinyQueue<SimEvent>([], (a, b) => a.t - b.t || a.seq - b.seq);
  private seq = 0;
  now = 0;
  readonly draws: World["draws"];
  readonly fleet: SimFleet;
  readonly metrics: Metrics;
  readonly total: number;
  readonly history = new PairHistory();
  readonly context: PairingContext;
  readonly live = new Map<string, Session>();
  readonly drafting: DrafterSide;
  readonly verifying: VerifierSide;
  readonly rebalancing: Rebalancer;
  private readonly pairing: PairingPolicy;
  private readonly waiting: SimRequest[] = [];
  private waitingHead = 0;
  private waitingCount = 0;
  /** Requests placed while one ahead of them waits (skipped when the head reaches them). */
  private readonly placedEarly = new Set<SimRequest>();
  private readonly lonely = new Set<Session>();
  private issued = 0;

  constructor(
    readonly config: SimConfig,
    private readonly options: SimOptions,
  ) {
    const random = new Random(config.seed);
    this.draws = {
      network: random.fork(1),
      acceptance: random.fork(2),
      workload: random.fork(3),
      policy: random.fork(4),
    };
    this.fleet = buildFleet(config, options.baseDir ?? process.cwd());
    this.pairing = createPairingPolicy(config.policies.pairing, config.policies.tuning);
    const policyDraw = this.draws.policy;
    this.context = this.history.context(() => policyDraw.next());
    this.verifying = new VerifierSide(this);
    this.drafting = new DrafterSide(this);
    this.rebalancing = new Rebalancer(this);
    const arrivals = config.workload.arrivals;
    const tracePath =
      arrivals.kind === "trace" ? fromConfigDir(options.baseDir ?? process.cwd(), arrivals.path) : undefined;
    if (arrivals.kind === "closed") {
      this.total = config.workload.requests;
      for (let client = 0; client < Math.min(arrivals.clients, this.total); client++) this.issue(0);
    } else {
      const requests = openArrivals(config.workload, this.draws.workload, tracePath);
      this.total = requests.length;
      for (const request of requests) this.schedule({ t: request.arrivalMs, seq: 0, kind: Kind.Arrival, request });
    }
    this.metrics = new Metrics(this.fleet, config.slo);
    if (config.policies.rebalanceMs > 0)
      this.schedule({ t: config.policies.rebalanceMs, seq: 0, kind: Kind.Rebalance });
  }

  run(): SimSummary {
    const progressEvery = Math.max(1, Math.floor(this.total / 100));
    let reported = 0;
    for (let event = this.events.pop(); event; event = this.events.pop()) {
      this.now = event.t;
      switch (event.kind) {
        case Kind.Arrival:
          this.metrics.arrived(this.now);
          this.waiting.push(event.request!);
          this.metrics.waitingChanged(this.now, ++this.waitingCount);
          this.pump();
          break;
        case Kind.DraftDone:
          this.drafting.draftDone(event.job!);
          break;
        case Kind.RoundArrives:
          this.verifying.enqueueRound(event.session!.verifier, event.session!.round!);
          break;
        case Kind.BatchDone:
          this.verifying.batchDone(event.verifier!, event.batch!);
          break;
        case Kind.VerdictArrives:
          this.drafting.verdict(event.session!);
          break;
        case Kind.HostedDraftsDone:
          this.verifying.hostedDraftsDone(event.verifier!, event.jobs!);
          break;
        case Kind.Rebalance:
          this.rebalancing.rebalance();
          break;
      }
      if (this.options.onProgress && this.metrics.finished - reported >= progressEvery) {
        reported = this.metrics.finished;
        this.options.onProgress(reported, this.total);
      }
    }
    this.options.onProgress?.(this.metrics.finished, this.total);
    return this.metrics.summary(this.now);
  }

  schedule(event: SimEvent): void {
    event.seq = this.seq++;
    this.events.push(event);
  }

  /** Closed loop: a client sends its next request. */
  private issue(at: number): void {
    if (this.issued >= this.total) return;
    const request: SimRequest = {
      id: this.issued++,
      arrivalMs: at,
      ...requestShape(this.config.workload, this.draws.workload),
    };
    this.schedule({ t: at, seq: 0, kind: Kind.Arrival, request });
  }

  /** Places waiting requests in order while the policy finds room. */
  private pump(): void {
    // In order, as the scheduler does; a request may choose to wait for a faster pair (load-aware)
    // while one behind it takes a free one: up to LOOKAHEAD waiting ones are passed over.
    let ahead = 0;
    for (let i = this.waitingHead; i < this.waiting.length && ahead <= LOOKAHEAD; i++) {
      const request = this.waiting[i]!;
      if (this.placedEarly.has(request)) continue;
      const decision = this.pairing(
        this.fleet.views,
        { model: TARGET_MODEL, maxTokens: request.outputTokens, ahead, waitedMs: this.now - request.arrivalMs },
        this.context,
      );
      if (decision.kind === "wait") {
        // Nothing free at all: those behind would wait too.
        if (isDecision(candidatePairs(this.fleet.views, { model: TARGET_MODEL }))) break;
        ahead++;
        continue;
      }
      if (i === this.waitingHead) this.waitingHead++;
      else this.placedEarly.add(request);
      this.waitingCount--;
      this.metrics.waitingChanged(this.now, this.waitingCount);
      if (decision.kind === "none") {
        this.metrics.failed();
        continue;
      }
      const verifier = this.verifierById(decision.verifierId);
      const drafter = decision.kind === "pair" ? this.drafterById(decision.drafterId) : null;
      this.open(request, verifier, drafter, decision.kind === "alone" && this.fleet.drafters.length > 0);
    }
    while (this.waitingHead < this.waiting.length && this.placedEarly.delete(this.waiting[this.waitingHead]!))
      this.waitingHead++;
    if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
  }

  drafterById(id: string): SimDrafter {
    return (this.drafterIndex ??= new Map(this.fleet.drafters.map((d) => [d.id, d]))).get(id)!;
  }
  private drafterIndex?: Map<string, SimDrafter>;

  private open(request: SimRequest, verifier: SimVerifier, drafter: SimDrafter | null, wantsDrafter: boolean): void {
    this.metrics.placed(request, this.now);
    verifier.view.activeSessions++;
    verifier.sessionsServed++;
    const session: Session = {
      request,
      verifier,
      drafter: null,
      window: null,
      generated: 0,
      firstTokenMs: -1,
      wantsDrafter,
      attach: null,
      move: null,
      round: null,
      unprefilled: request.promptTokens,
    };
    this.live.set(String(request.id), session);
    // The drafter prefills the prompt, then drafts; the verifier evaluates it with the first round.
    if (drafter) {
      drafter.view.activeSessions++;
      this.drafting.attach(session, drafter, request.promptTokens);
    } else {
      if (wantsDrafter) this.lonely.add(session);
      this.verifying.enqueueRound(verifier, newRound(session, 0, 0, this.now));
    }
  }

  finish(session: Session, deliveredMs: number): void {
    this.metrics.finish(session.request, session.firstTokenMs, deliveredMs, session.generated);
    session.verifier.view.activeSessions--;
    this.lonely.delete(session);
    this.live.delete(String(session.request.id));
    // Slots taken for a drafter or a move that the session ended before using.
    if (session.attach) session.attach.view.activeSessions--;
    if (session.move) {
      if (session.move.verifier !== session.verifier) session.move.verifier.view.activeSessions--;
      session.move.drafter.view.activeSessions--;
    }
    const freedDrafter = session.drafter !== null;
    if (session.drafter) {
      session.drafter.view.activeSessions--;
      session.drafter = null;
    }
    if (this.config.workload.arrivals.kind === "closed") {
      const think = this.config.workload.arrivals.thinkMs;
      this.issue(deliveredMs + this.draws.workload.between(think.min, think.max));
    }
    this.pump();
    if (freedDrafter) this.offerDrafter();
  }

  verifierById(id: string): SimVerifier {
    return (this.verifierIndex ??= new Map(this.fleet.verifiers.map((v) => [v.id, v]))).get(id)!;
  }
  private verifierIndex?: Map<string, SimVerifier>;

  /** A drafter slot may have come free: the oldest session decoding alone that wants one asks the policy. */
  offerDrafter(): void {
    for (const session of this.lonely) {
      if (session.attach) continue;
      const verifier = { ...session.verifier.view, activeSessions: session.verifier.view.activeSessions - 1 };
      const fleet: WorkerView[] = [verifier, ...this.fleet.drafterViews];
      const decision = this.pairing(fleet, { model: TARGET_MODEL }, this.context);
      if (decision.kind === "pair") {
        this.lonely.delete(session);
        const drafter = this.drafterById(decision.drafterId);
        // Its slot is taken now; it attaches when the alone round in flight ends.
        drafter.view.activeSessions++;
        session.attach = drafter;
      }
      return;
    }
  }
}
