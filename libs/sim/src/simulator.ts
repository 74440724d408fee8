import TinyQueue from "tinyqueue";
import { createPairingPolicy } from "#pairing";
import type { Attachment, PassOutcome } from "#placement";
import { buildCells, CellDraw } from "./cells.js";
import { fromConfigDir, type SimConfig } from "./config.js";
import { DrafterSide } from "./drafter-side.js";
import { buildFleet, TARGET_MODEL, type SimDrafter, type SimFleet, type SimVerifier } from "./fleet.js";
import { Metrics, type SimSummary } from "./metrics.js";
import { SimPlacement } from "./placement.js";
import { Random } from "./random.js";
import { Rebalancer } from "./rebalancing.js";
import { SchedulerShards } from "./shards.js";
import { VerifierSide } from "./verifier-side.js";
import {
  Kind,
  newRound,
  type AloneSim,
  type Session,
  type SimCell,
  type SimEvent,
  type WaitingSim,
  type World,
} from "./world.js";
import { openArrivals, poissonArrivals, requestShape, type SimRequest } from "./workload.js";

/** How often the scheduler looks at its queue between events (its one-second timer), ms. */
const QUEUE_LOOK_MS = 1000;

export interface SimOptions {
  /** Folder that profile and trace paths are relative to. */
  baseDir?: string;
  /** Called now and then with requests finished so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Called once at the end with what the simulator itself did (its events, the fleet's cells). */
  onEnd?: (run: { events: number; cells: number }) => void;
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
 * sessions, attaching drafters to sessions decoding alone, finishing, each through the
 * scheduler's placement loop (libs/placement, as `SimPlacement` enters it) of the request's cell
 * (cells.ts), decided by the cell's scheduler shard (shards.ts). The drafters
 * (drafter-side.ts), the verifiers (verifier-side.ts) and the rebalancer (rebalancing.ts) run on
 * the shared `World` it holds.
 */
class Simulation implements World {
  private readonly events = new TinyQueue<SimEvent>([], (a, b) => a.t - b.t || a.seq - b.seq);
  private seq = 0;
  now = 0;
  readonly draws: World["draws"];
  readonly fleet: SimFleet;
  readonly metrics: Metrics;
  readonly total: number;
  readonly cells: SimCell[];
  private readonly cellDraw: CellDraw;
  private readonly cellDraws: Random;
  private readonly shards: SchedulerShards;
  /** Poisson arrivals, made as the run reaches them. */
  private readonly nextArrival: (() => SimRequest | null) | null = null;
  /** Requests waiting for a pair, all cells. */
  private waitingTotal = 0;
  private eventCount = 0;
  readonly drafting: DrafterSide;
  readonly verifying: VerifierSide;
  readonly rebalancing: Rebalancer;
  private issued = 0;
  /** Timer events pending (the rebalancer's, the queue's looks): they alone keep nothing going. */
  private timers = 0;
  private readonly queueTimeoutMs: number;

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
    this.cellDraws = random.fork(5);
    this.fleet = buildFleet(config, options.baseDir ?? process.cwd());
    const policyDraw = this.draws.policy;
    const { pairing, tuning, queueLookahead, queueTimeoutMs } = config.policies;
    this.queueTimeoutMs = queueTimeoutMs > 0 ? queueTimeoutMs : Number.POSITIVE_INFINITY;
    const placementOptions = {
      lookahead: queueLookahead,
      queueTimeoutMs: this.queueTimeoutMs,
      random: () => policyDraw.next(),
    };
    this.cells = buildCells(
      this.fleet,
      config.regions,
      (views) => new SimPlacement(views, createPairingPolicy(pairing, tuning), placementOptions),
    );
    const slots = this.cells.map(() => 0);
    for (const verifier of this.fleet.verifiers) slots[verifier.cell]! += verifier.view.maxSessions;
    this.cellDraw = new CellDraw(slots);
    this.shards = new SchedulerShards(config.scheduler.shards, config.scheduler.decisionMs);
    this.verifying = new VerifierSide(this);
    this.drafting = new DrafterSide(this);
    this.rebalancing = new Rebalancer(this);
    const arrivals = config.workload.arrivals;
    const tracePath =
      arrivals.kind === "trace" ? fromConfigDir(options.baseDir ?? process.cwd(), arrivals.path) : undefined;
    if (arrivals.kind === "closed") {
      this.total = config.workload.requests;
      for (let client = 0; client < Math.min(arrivals.clients, this.total); client++) this.issue(0);
    } else if (arrivals.kind === "poisson") {
      this.total = config.workload.requests;
      this.nextArrival = poissonArrivals(config.workload, this.draws.workload);
      this.scheduleArrival();
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
      this.eventCount++;
      if (isTimer(event)) this.timers--;
      switch (event.kind) {
        case Kind.Arrival:
          this.arrive(event.request!);
          if (this.nextArrival) this.scheduleArrival();
          break;
        case Kind.Decide:
          this.decide(event.waiting!);
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
        case Kind.QueueLook:
          this.look(this.cells[event.cell!]!);
          break;
      }
      if (this.options.onProgress && this.metrics.finished - reported >= progressEvery) {
        reported = this.metrics.finished;
        this.options.onProgress(reported, this.total);
      }
    }
    this.options.onProgress?.(this.metrics.finished, this.total);
    this.options.onEnd?.({ events: this.eventCount, cells: this.cells.length });
    // Every slot a placement, an attach or a move took was given back: nothing counted twice.
    const held = this.fleet.views.filter((w) => w.activeSessions !== 0);
    if (held.length > 0)
      throw new Error(`slots still held after the run: ${held.map((w) => `${w.id} ${w.activeSessions}`).join(", ")}`);
    const summary = this.metrics.summary(this.now);
    const { regions, scheduler } = this.config;
    if (regions > 1 || scheduler.shards > 1 || scheduler.decisionMs > 0) summary.scheduler = this.shards.summary();
    return summary;
  }

  schedule(event: SimEvent): void {
    event.seq = this.seq++;
    if (isTimer(event)) this.timers++;
    this.events.push(event);
  }

  get idle(): boolean {
    return this.events.length === this.timers;
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

  private scheduleArrival(): void {
    const request = this.nextArrival!();
    if (request) this.schedule({ t: request.arrivalMs, seq: 0, kind: Kind.Arrival, request });
  }

  /** A request reaches the scheduler: its cell's shard decides it when free (at once when decisions take no time). */
  private arrive(request: SimRequest): void {
    this.metrics.arrived(this.now);
    const cell = this.cells.length > 1 ? this.cellDraw.pick(this.cellDraws.next()) : 0;
    const waiting: WaitingSim = {
      request,
      model: TARGET_MODEL,
      maxTokens: request.outputTokens,
      priority: 0,
      resume: false,
      arrivedAt: request.arrivalMs,
      since: request.arrivalMs,
      cell,
    };
    const decidedAt = this.shards.decide(cell, this.now);
    if (decidedAt > this.now) this.schedule({ t: decidedAt, seq: 0, kind: Kind.Decide, waiting });
    else this.decide(waiting);
  }

  /** The shard decides a request: at once, or queued behind those of its model waiting in its cell. */
  private decide(waiting: WaitingSim): void {
    const cell = this.cells[waiting.cell]!;
    this.serve(cell, cell.placement.submit(waiting, this.now));
  }

  /** The scheduler looks at a cell's queue: a pass, its decisions taking the shard's time. */
  private look(cell: SimCell): void {
    cell.looking = false;
    const outcomes = cell.placement.pass(this.now);
    this.shards.charge(cell.index, this.now, outcomes.length);
    this.serve(cell, outcomes);
  }

  /** Acts on what a pass decided; while requests wait, the scheduler looks again within a second. */
  private serve(cell: SimCell, outcomes: PassOutcome<WaitingSim>[]): void {
    for (const outcome of outcomes) {
      if (outcome.kind !== "place") {
        this.metrics.failed();
        continue;
      }
      const { decision } = outcome;
      const drafter = decision.kind === "pair" ? this.drafterById(decision.drafterId) : null;
      this.open(cell, outcome.waiting.request, this.verifierById(decision.verifierId), drafter);
    }
    const waiting = cell.placement.waiting;
    this.waitingTotal += waiting - cell.waiting;
    cell.waiting = waiting;
    this.metrics.waitingChanged(this.now, this.waitingTotal);
    // With nothing else to happen, time alone changes nothing but deadlines: the run ends.
    if (waiting > 0 && !cell.looking && (!this.idle || Number.isFinite(this.queueTimeoutMs))) {
      cell.looking = true;
      const t = (Math.floor(this.now / QUEUE_LOOK_MS) + 1) * QUEUE_LOOK_MS;
      this.schedule({ t, seq: 0, kind: Kind.QueueLook, cell: cell.index });
    }
  }

  drafterById(id: string): SimDrafter {
    return (this.drafterIndex ??= new Map(this.fleet.drafters.map((d) => [d.id, d]))).get(id)!;
  }
  private drafterIndex?: Map<string, SimDrafter>;

  /** Opens a placed session (the pass took its slots on the views). */
  private open(cell: SimCell, request: SimRequest, verifier: SimVerifier, drafter: SimDrafter | null): void {
    this.metrics.placed(request, this.now);
    verifier.sessionsServed++;
    const session: Session = {
      request,
      verifier,
      drafter: null,
      window: null,
      estimator: null,
      generated: 0,
      firstTokenMs: -1,
      alone: null,
      attach: null,
      move: null,
      round: null,
      unprefilled: request.promptTokens,
    };
    cell.live.set(String(request.id), session);
    // The drafter prefills the prompt, then drafts; the verifier evaluates it with the first round.
    if (drafter) {
      this.drafting.attach(session, drafter, request.promptTokens);
      return;
    }
    if (this.fleet.drafters.length > 0) {
      session.alone = { sessionId: String(request.id), model: TARGET_MODEL, verifierId: verifier.id, session };
      cell.placement.wantsDrafter(session.alone);
    }
    this.verifying.enqueueRound(verifier, newRound(session, 0, 0, this.now));
  }

  /** The session's last tokens are delivered: its slots free, the queue is served, alone sessions may take drafters. */
  finish(session: Session, deliveredMs: number): void {
    this.metrics.finish(session.request, session.firstTokenMs, deliveredMs, session.generated);
    const cell = this.cells[session.verifier.cell]!;
    session.verifier.view.activeSessions--;
    if (session.alone) cell.placement.forget(session.alone);
    cell.live.delete(String(session.request.id));
    // Slots taken for a drafter or a move that the session ended before using.
    if (session.attach) session.attach.view.activeSessions--;
    if (session.move) {
      if (session.move.verifier !== session.verifier) session.move.verifier.view.activeSessions--;
      session.move.drafter.view.activeSessions--;
    }
    if (session.drafter) {
      session.drafter.view.activeSessions--;
      session.drafter = null;
    }
    if (this.config.workload.arrivals.kind === "closed") {
      const think = this.config.workload.arrivals.thinkMs;
      this.issue(deliveredMs + this.draws.workload.between(think.min, think.max));
    }
    const { placed, attached } = cell.placement.sessionEnded(this.now);
    this.shards.charge(cell.index, this.now, placed.length + attached.length);
    this.serve(cell, placed);
    this.attached(attached);
  }

  verifierById(id: string): SimVerifier {
    return (this.verifierIndex ??= new Map(this.fleet.verifiers.map((v) => [v.id, v]))).get(id)!;
  }
  private verifierIndex?: Map<string, SimVerifier>;

  /** Sessions decoding alone that the policy now pairs take the drafter's slot; each attaches when its alone round in flight ends. */
  attachDrafters(cell: number): void {
    this.attached(this.cells[cell]!.placement.attach());
  }

  private attached(attachments: Attachment<AloneSim>[]): void {
    for (const { session, drafterId } of attachments) {
      session.session.alone = null;
      session.session.attach = this.drafterById(drafterId);
    }
  }
}

const isTimer = (event: SimEvent) => event.kind === Kind.Rebalance || event.kind === Kind.QueueLook;
