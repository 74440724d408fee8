import TinyQueue from "tinyqueue";
import { batchingPolicy, type BatchingPolicy, type PendingRound } from "#batching";
import {
  candidatePairs,
  createPairingPolicy,
  isDecision,
  rebalanceMoves,
  type LiveSession,
  type PairingContext,
  type PairingPolicy,
  type WorkerView,
} from "#pairing";
import { RoundEstimator, windowPolicy, type WindowPolicy } from "#window";
import { fromConfigDir, type SimConfig } from "./config.js";
import { buildFleet, TARGET_MODEL, type SimDrafter, type SimFleet, type SimVerifier } from "./fleet.js";
import { Metrics, type SimSummary } from "./metrics.js";
import { meanRttMs, oneWayMs } from "./network.js";
import { Random } from "./random.js";
import { openArrivals, requestShape, type SimRequest } from "./workload.js";

/** Waiting requests passed over, at most, for ones behind them that a free pair suits. */
const LOOKAHEAD = 4;

/** A session: one request on its verifier, with a drafter or alone. */
interface Session {
  request: SimRequest;
  verifier: SimVerifier;
  drafter: SimDrafter | null;
  window: WindowPolicy | null;
  generated: number;
  firstTokenMs: number;
  /** Placed alone while a drafter might come free: takes one at a round's end if the policy pairs it. */
  wantsDrafter: boolean;
  attach: SimDrafter | null;
  /** A re-pairing decided by the rebalancer, its slots taken: carried out at the next round's end. */
  move: { verifier: SimVerifier; drafter: SimDrafter } | null;
  round: Round | null;
  /** Prompt tokens the verifier has not evaluated yet: they ride in the session's first round. */
  unprefilled: number;
}

/**
 * Work at a verifier: a round to verify (γ + 1 tokens, or 1 alone); a session's first round
 * also evaluates its prompt, in the same pass, as the real verifier does.
 */
interface Round extends PendingRound {
  session: Session;
  prefillTokens: number;
  window: number;
  /** How many of the window's tokens the target would accept (drawn as the round is drafted). */
  runLength: number;
  draftMs: number;
  sentMs: number;
  verifyMs: number;
  batchTokens: number;
}

/** Work at a drafter (or, fused, at its host verifier): prefill then draft a window. */
interface DraftJob {
  session: Session;
  prefillTokens: number;
  queuedAt: number;
}

const enum Kind {
  Arrival,
  DraftDone,
  RoundArrives,
  BatchDone,
  VerdictArrives,
  HostedDraftsDone,
  Rebalance,
}

interface Event {
  t: number;
  seq: number;
  kind: Kind;
  request?: SimRequest;
  session?: Session;
  verifier?: SimVerifier;
  batch?: Round[];
  job?: DraftJob;
  jobs?: DraftJob[];
}

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

class Simulation {
  private readonly events = new TinyQueue<Event>([], (a, b) => a.t - b.t || a.seq - b.seq);
  private seq = 0;
  private now = 0;
  private readonly draws: { network: Random; acceptance: Random; workload: Random; policy: Random };
  private readonly fleet: SimFleet;
  private readonly pairing: PairingPolicy;
  private readonly batching: BatchingPolicy;
  private readonly context: PairingContext;
  private readonly metrics: Metrics;
  private readonly waiting: SimRequest[] = [];
  private waitingHead = 0;
  private waitingCount = 0;
  /** Requests placed while one ahead of them waits (skipped when the head reaches them). */
  private readonly placedEarly = new Set<SimRequest>();
  private readonly pending = new Map<SimVerifier, Round[]>();
  private readonly draftJobs = new Map<SimDrafter, DraftJob[]>();
  /** Fused: drafts waiting for their verifier's processor. */
  private readonly hostedDrafts = new Map<SimVerifier, DraftJob[]>();
  private readonly estimators = new Map<string, RoundEstimator>();
  /** Per drafter model: accepted tokens and rounds cut short (the target's agreement, as the scheduler learns it). */
  private readonly agreement = new Map<string, { accepted: number; cutShort: number }>();
  /** Per verifier, per drafter: the network's share of a pair's round, lately. */
  private readonly pairNetworkMs = new Map<string, Map<string, number>>();
  /** The verifier the pairing policy asked about last (it asks about one verifier's drafters in a row). */
  private lastNetwork: { verifierId: string; byDrafter: Map<string, number> | undefined } = {
    verifierId: "",
    byDrafter: undefined,
  };
  private readonly lonely = new Set<Session>();
  /** Sessions running, by id (what the rebalancer sees). */
  private readonly live = new Map<string, Session>();
  private issued = 0;
  private readonly acceptanceDraw: () => number;
  private readonly total: number;

  constructor(
    private readonly config: SimConfig,
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
    this.batching = batchingPolicy(config.policies.batching, () => this.now);
    const policyDraw = this.draws.policy;
    const acceptanceDraw = this.draws.acceptance;
    this.acceptanceDraw = () => acceptanceDraw.next();
    this.context = {
      acceptance: (drafterModel) => {
        const seen = this.agreement.get(drafterModel);
        return seen && seen.accepted + seen.cutShort > 0 ? seen.accepted / (seen.accepted + seen.cutShort) : undefined;
      },
      roundTripMs: (drafterId, verifierId) => {
        if (verifierId !== this.lastNetwork.verifierId)
          this.lastNetwork = { verifierId, byDrafter: this.pairNetworkMs.get(verifierId) };
        return this.lastNetwork.byDrafter?.get(drafterId);
      },
      random: () => policyDraw.next(),
    };
    for (const verifier of this.fleet.verifiers) this.pending.set(verifier, []);
    for (const drafter of this.fleet.drafters) {
      if (drafter.host) this.hostedDrafts.set(drafter.host, []);
      else this.draftJobs.set(drafter, []);
    }
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
          this.draftDone(event.job!);
          break;
        case Kind.RoundArrives:
          this.enqueueRound(event.session!.verifier, event.session!.round as Round);
          break;
        case Kind.BatchDone:
          this.batchDone(event.verifier!, event.batch!);
          break;
        case Kind.VerdictArrives:
          this.verdict(event.session!);
          break;
        case Kind.HostedDraftsDone:
          this.hostedDraftsDone(event.verifier!, event.jobs!);
          break;
        case Kind.Rebalance:
          this.rebalance();
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

  private schedule(event: Event): void {
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

  private drafterById(id: string): SimDrafter {
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
      this.attachDrafter(session, drafter, request.promptTokens);
    } else {
      if (wantsDrafter) this.lonely.add(session);
      this.enqueueRound(verifier, this.makeRound(session, 0, 0));
    }
  }

  /** The session's drafter (its slot already counted) prefills the committed tokens, then drafts. */
  private attachDrafter(session: Session, drafter: SimDrafter, prefillTokens: number): void {
    session.drafter = drafter;
    const key = `${drafter.id} ${session.verifier.id}`;
    let estimator = this.estimators.get(key);
    if (!estimator) {
      estimator = new RoundEstimator();
      estimator.prime(session.verifier.view.profile!.verifyMsByWindow!);
      this.estimators.set(key, estimator);
    }
    const { policy, window, maxWindow, stopThreshold } = this.config.policies.window;
    session.window = windowPolicy(policy, window, maxWindow, estimator, { stopThreshold });
    this.queueDraft(drafter, { session, prefillTokens, queuedAt: this.now });
  }

  private makeRound(session: Session, window: number, runLength: number): Round {
    const prefillTokens = session.unprefilled;
    session.unprefilled = 0;
    return {
      sessionId: "",
      arrivedAt: this.now,
      tokens: prefillTokens + window + 1,
      session,
      prefillTokens,
      window,
      runLength,
      draftMs: 0,
      sentMs: this.now,
      verifyMs: 0,
      batchTokens: 0,
    };
  }

  // ── the drafter ───────────────────────────────────────────────────────────────────────

  private queueDraft(drafter: SimDrafter, job: DraftJob): void {
    const device = drafter.host;
    if (device) {
      // Fused: the drafter shares its verifier's processor.
      this.hostedDrafts.get(device)!.push(job);
      if (!device.busy) this.startWork(device);
      return;
    }
    this.draftJobs.get(drafter)!.push(job);
    if (!drafter.busy) this.startDraft(drafter);
  }

  /** Drafts the job at the head of the drafter's queue; returns how long it takes. */
  private draftCost(job: DraftJob): number {
    const { session } = job;
    const drafter = session.drafter!;
    const remaining = session.request.outputTokens - session.generated;
    const policy = session.window!;
    let window = Math.max(0, Math.min(policy.next(), remaining - 1));
    const runLength = drafter.acceptance.runLength(this.acceptanceDraw, window);
    if (policy.keepDrafting && window > 0) {
      let drafted = 0;
      while (drafted < window && policy.keepDrafting(drafted + 1, drafter.acceptance.probability(drafted))) drafted++;
      window = Math.max(1, drafted);
    }
    // The window's drafting is what the drafter reports for the round; a prefill comes first.
    const draftMs = window * drafter.profile.draftMsPerToken + drafter.profile.roundOverheadMs;
    session.round = this.makeRound(session, window, Math.min(runLength, window));
    session.round.draftMs = draftMs;
    return job.prefillTokens * drafter.profile.prefillMsPerToken + draftMs;
  }

  private startDraft(drafter: SimDrafter): void {
    if (drafter.busy) return;
    const queue = this.draftJobs.get(drafter)!;
    const job = queue.shift();
    if (!job) return;
    const ms = this.draftCost(job);
    drafter.busy = true;
    drafter.busyMs += ms;
    this.schedule({ t: this.now + ms, seq: 0, kind: Kind.DraftDone, job });
  }

  private draftDone(job: DraftJob): void {
    const { session } = job;
    const drafter = session.drafter!;
    const round = session.round!;
    round.sentMs = this.now;
    drafter.busy = false;
    this.schedule({
      t:
        this.now +
        oneWayMs(
          drafter.link,
          session.verifier.link,
          64 + this.config.bytesPerToken * round.window,
          this.draws.network,
        ),
      seq: 0,
      kind: Kind.RoundArrives,
      session,
    });
    this.startDraft(drafter);
  }

  /** Fused: the batch of drafts is done; its rounds wait for the same processor. */
  private hostedDraftsDone(verifier: SimVerifier, jobs: DraftJob[]): void {
    for (const { session } of jobs) {
      session.round!.sentMs = this.now;
      session.round!.arrivedAt = this.now;
      this.pending.get(verifier)!.push(session.round!);
    }
    this.metrics.verifierQueue(verifier, this.now, this.pending.get(verifier)!.length);
    verifier.busy = false;
    this.startWork(verifier);
  }

  private verdict(session: Session): void {
    const round = session.round!;
    const drafter = session.drafter!;
    const networkMs = Math.max(0, this.now - round.sentMs - round.verifyMs);
    let byDrafter = this.pairNetworkMs.get(session.verifier.id);
    if (!byDrafter) {
      this.pairNetworkMs.set(session.verifier.id, (byDrafter = new Map()));
      this.lastNetwork = { verifierId: "", byDrafter: undefined };
    }
    const before = byDrafter.get(drafter.id);
    byDrafter.set(drafter.id, before === undefined ? networkMs : 0.9 * before + 0.1 * networkMs);
    const observation = {
      window: round.window,
      accepted: Math.min(round.runLength, round.window),
      draftMs: round.draftMs,
      verifyMs: round.verifyMs,
      networkMs,
      batchTokens: round.batchTokens,
    };
    session.window!.observe(observation);
    if (session.move) return this.carryOutMove(session);
    if (
      this.config.policies.window.policy === "adaptive" &&
      this.config.policies.window.handBack &&
      session.window!.handBack()
    ) {
      // Speculating costs more than it gains here: the verifier goes on alone.
      this.metrics.handedBack();
      this.releaseDrafter(session);
      this.enqueueRound(session.verifier, this.makeRound(session, 0, 0));
      return;
    }
    this.queueDraft(drafter, { session, prefillTokens: 0, queuedAt: this.now });
  }

  private releaseDrafter(session: Session): void {
    const drafter = session.drafter;
    if (!drafter) return;
    drafter.view.activeSessions--;
    session.drafter = null;
    session.window = null;
    this.offerDrafter();
  }

  // ── the verifier ──────────────────────────────────────────────────────────────────────

  private enqueueRound(verifier: SimVerifier, round: Round): void {
    round.arrivedAt = this.now;
    this.pending.get(verifier)!.push(round);
    this.metrics.verifierQueue(verifier, this.now, this.pending.get(verifier)!.length);
    if (!verifier.busy) this.startWork(verifier);
  }

  /** The verifier's processor takes its next work: a batch of rounds, or (fused) a draft. */
  private startWork(verifier: SimVerifier): void {
    if (verifier.busy) return;
    const rounds = this.pending.get(verifier)!;
    const drafts = this.hostedDrafts.get(verifier);
    if (drafts && drafts.length > 0 && (rounds.length === 0 || drafts[0]!.queuedAt < oldest(rounds))) {
      // Fused: the drafter model drafts for every waiting session in one batch, a step per
      // token of the longest window (as on an accelerator); prompts are prefilled first.
      const jobs = drafts.splice(0, drafts.length);
      const profile = verifier.fused!.profile;
      let prefillMs = 0;
      let longest = 0;
      for (const job of jobs) {
        this.draftCost(job);
        prefillMs += job.prefillTokens * profile.prefillMsPerToken;
        longest = Math.max(longest, job.session.round!.window);
      }
      const ms = prefillMs + longest * profile.draftMsPerToken + profile.roundOverheadMs;
      for (const job of jobs) job.session.round!.draftMs = ms - prefillMs;
      verifier.busy = true;
      verifier.busyMs += ms;
      this.schedule({ t: this.now + ms, seq: 0, kind: Kind.HostedDraftsDone, verifier, jobs });
      return;
    }
    if (rounds.length === 0) return;
    const batch = this.batching(rounds, verifier.maxBatch) as Round[];
    const chosen = new Set(batch);
    this.pending.set(
      verifier,
      rounds.filter((r) => !chosen.has(r)),
    );
    this.metrics.verifierQueue(verifier, this.now, rounds.length - batch.length);
    let decodeTokens = 0;
    let prefillTokens = 0;
    for (const round of batch) {
      prefillTokens += round.prefillTokens;
      decodeTokens += round.window + 1;
    }
    const { prefillMsPerToken, roundOverheadMs, batchOverheadMs } = verifier.profile;
    const ms =
      verifier.cost(decodeTokens) +
      prefillTokens * prefillMsPerToken +
      batch.length * roundOverheadMs +
      batchOverheadMs;
    for (const round of batch) {
      round.verifyMs = ms;
      round.batchTokens = decodeTokens;
    }
    verifier.busy = true;
    verifier.busyMs += ms;
    this.schedule({ t: this.now + ms, seq: 0, kind: Kind.BatchDone, verifier, batch });
  }

  private batchDone(verifier: SimVerifier, batch: Round[]): void {
    // Still busy while the batch's rounds are handed out, so the rounds they requeue (sessions
    // decoding alone) wait for the next batch together instead of starting one each.
    for (const round of batch) this.verified(round);
    verifier.busy = false;
    this.startWork(verifier);
  }

  /** A round verified: its tokens are committed and streamed; the drafter hears the verdict. */
  private verified(round: Round): void {
    const { session } = round;
    const request = session.request;
    const accepted = Math.min(round.runLength, round.window);
    const committed = Math.min(accepted + 1, request.outputTokens - session.generated);
    session.generated += committed;
    this.metrics.round(round.window, accepted, session.drafter !== null);
    if (session.drafter) {
      const model = session.drafter.model;
      const seen = this.agreement.get(model) ?? { accepted: 0, cutShort: 0 };
      seen.accepted += accepted;
      if (accepted < round.window) seen.cutShort++;
      this.agreement.set(model, seen);
    }
    // Tokens reach the client over the verifier's leg to the broker (the gateway is beside it).
    const deliveredMs = this.now + meanRttMs(session.verifier.link) / 2;
    if (session.firstTokenMs < 0) session.firstTokenMs = deliveredMs;
    if (session.generated >= request.outputTokens) return this.finish(session, deliveredMs);
    if (session.drafter) {
      session.round = round;
      // Fused: the verdict is on the same machine.
      if (session.drafter.host) return this.verdict(session);
      this.schedule({
        t:
          this.now +
          oneWayMs(
            session.verifier.link,
            session.drafter.link,
            64 + this.config.bytesPerToken * committed,
            this.draws.network,
          ),
        seq: 0,
        kind: Kind.VerdictArrives,
        session,
      });
      return;
    }
    if (session.attach) {
      const drafter = session.attach;
      session.attach = null;
      this.attachDrafter(session, drafter, request.promptTokens + session.generated);
      return;
    }
    this.enqueueRound(session.verifier, this.makeRound(session, 0, 0));
  }

  private finish(session: Session, deliveredMs: number): void {
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

  /**
   * Every `rebalanceMs`, as the scheduler does: the production `rebalanceMoves` over the running
   * pairs (their true progress, which the real scheduler estimates); a chosen move takes its
   * slots now and happens at the session's next round's end.
   */
  private rebalance(): void {
    if (this.metrics.ended >= this.total) return;
    const sessions: LiveSession[] = [];
    for (const [sessionId, s] of this.live) {
      if (!s.drafter || s.move || s.attach) continue;
      const committedTokens = s.request.promptTokens + s.generated;
      sessions.push({
        sessionId,
        request: { model: TARGET_MODEL },
        verifierId: s.verifier.id,
        drafterId: s.drafter.id,
        committedTokens,
        remainingTokens: s.request.outputTokens - s.generated,
      });
    }
    for (const move of rebalanceMoves(sessions, this.fleet.views, this.context, this.config.policies.tuning)) {
      const session = this.live.get(move.sessionId)!;
      const verifier = this.verifierById(move.verifierId);
      const drafter = this.drafterById(move.drafterId);
      if (verifier !== session.verifier) verifier.view.activeSessions++;
      drafter.view.activeSessions++;
      session.move = { verifier, drafter };
    }
    this.schedule({ t: this.now + this.config.policies.rebalanceMs, seq: 0, kind: Kind.Rebalance });
  }

  /** The session leaves its drafter (and verifier): the new ones prefill what it has committed. */
  private carryOutMove(session: Session): void {
    const { verifier, drafter } = session.move!;
    session.move = null;
    this.metrics.moved(verifier !== session.verifier);
    session.drafter!.view.activeSessions--;
    session.drafter = null;
    const committed = session.request.promptTokens + session.generated;
    if (verifier !== session.verifier) {
      // Released and resumed from the journal: the new verifier evaluates the committed tokens with its first round.
      session.verifier.view.activeSessions--;
      session.verifier = verifier;
      verifier.sessionsServed++;
      session.unprefilled = committed;
    }
    this.attachDrafter(session, drafter, committed);
    this.offerDrafter();
  }

  private verifierById(id: string): SimVerifier {
    return (this.verifierIndex ??= new Map(this.fleet.verifiers.map((v) => [v.id, v]))).get(id)!;
  }
  private verifierIndex?: Map<string, SimVerifier>;

  /** A drafter slot may have come free: the oldest session decoding alone that wants one asks the policy. */
  private offerDrafter(): void {
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

function oldest(rounds: readonly Round[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const round of rounds) if (round.arrivedAt < min) min = round.arrivedAt;
  return min;
}
