import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Subscription } from "nats";
import {
  ADMIN_IDENTITY,
  SCHEDULER_IDENTITY,
  DrafterOpen,
  MAX_DRAFT_TOKENS,
  RoundReports,
  VerifierDetach,
  WorkerClose,
  type LinkStats,
  type PayloadOf,
  type ReplyOf,
  type RoundReport,
  type RoundReportBatch,
  type Sampling,
} from "#contracts";
import type { DraftWorkerConfig } from "#config";
import { ModelSession, openGreedyDraft, type DraftedWindow, type DraftSequence } from "#llama";
import { isGreedy, type SamplingParams } from "#speculation";
import type { Logger } from "#logging";
import { SpecFleetError, type ContractBus } from "#transport";
import { fixedWindow, windowPolicy, type WindowPolicy } from "#window";
import type { DrafterMetrics } from "#metrics";
import {
  WORKER_BUS,
  WORKER_CONFIG,
  WORKER_LOGGER,
  WORKER_METRICS,
  WORKER_MODEL,
  WorkerStats,
  type WorkerModel,
} from "#worker";
import { DrafterMeter } from "./drafter-meter.js";
import { commitAnswer, RoundSender, type SentRound } from "./round-sender.js";
import { VerifierLinks } from "./verifier-links.js";
import { RoundReportBuffer } from "./round-report-buffer.js";

interface DrafterSession {
  id: string;
  verifierId: string;
  /** On the native runner when greedy and it is built (DRAFT_NATIVE), else node-llama-cpp. */
  model: DraftSequence;
  promptLength: number;
  maxTokens: number;
  /** Chooses γ before each round: the request's fixed window, or the worker's policy. */
  window: WindowPolicy;
  /** The request's sampling: the verifier needs q with every draft when it is not greedy. */
  sampling: Sampling;
  /** How this drafter draws: as the request samples, or (greedy requests) DRAFT_TEMPERATURE. */
  drawing: SamplingParams;
  closed: boolean;
  /** Whether a round of it was reported yet (the first is sent at once). */
  reported: boolean;
  /** Settles when the session's loop has ended and freed its sequence. */
  ended: Promise<void>;
}

/**
 * The edge side of the round: for each session, draft γ tokens after the committed sequence,
 * send them to the session's verifier, commit what it answers (rolling the cache back past a
 * rejection), and go again until the verifier says the session is finished.
 */
@Injectable()
export class DrafterService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly stats = new WorkerStats();
  private readonly sessions = new Map<string, DrafterSession>();
  private readonly loops = new Set<Promise<void>>();
  /** What rounds taught about each verifier this drafter works with (acceptance, costs, network). */
  private readonly verifierLinks = new VerifierLinks();
  private subscriptions: Subscription[] = [];
  private readonly meter: DrafterMeter;
  /** Finished rounds, sent to observers a few times a second. */
  private readonly reports: RoundReportBuffer;
  private readonly sender: RoundSender;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: DraftWorkerConfig,
    @Inject(WORKER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(WORKER_MODEL) private readonly draftModel: WorkerModel,
    @Inject(WORKER_METRICS) metrics: DrafterMetrics,
  ) {
    this.meter = new DrafterMeter(metrics, config.METRICS_MAX_PAIRS);
    bus.clock = this.meter; // what a round's messages cost (bench:round's breakdown)
    this.reports = new RoundReportBuffer(config.WORKER_ID, (batch) => this.publishReports(batch));
    this.sender = new RoundSender(bus, this.meter, log, config.VERIFY_TIMEOUT_MS, config.VERIFY_RETRIES);
  }

  onApplicationBootstrap(): void {
    const id = this.config.WORKER_ID;
    this.subscriptions = [
      this.bus.serve(DrafterOpen, id, (req) => this.open(req)),
      this.bus.serve(WorkerClose, id, async (req, { from }) => {
        const verifierId = this.sessions.get(req.sessionId)?.verifierId;
        if (from !== SCHEDULER_IDENTITY && from !== ADMIN_IDENTITY && from !== verifierId)
          throw new SpecFleetError(
            "forbidden",
            `only the scheduler or the session's verifier closes it, not '${from}'`,
          );
        return { closed: this.close(req.sessionId, req.reason) };
      }),
    ];
  }

  /** Stops taking sessions, hands the running ones back to their verifiers, waits for that. */
  async onModuleDestroy(): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const id of [...this.sessions.keys()]) this.close(id, "shutdown");
    await Promise.all(this.loops);
  }

  readonly targetOnlySessions = 0;

  /** Sessions still being drafted; a closing one frees its slot at once (its sequence soon after). */
  get activeSessions(): number {
    let active = 0;
    for (const session of this.sessions.values()) if (!session.closed) active++;
    return active;
  }

  private async open(req: PayloadOf<typeof DrafterOpen>): Promise<ReplyOf<typeof DrafterOpen>> {
    const existing = this.sessions.get(req.sessionId);
    if (existing && !existing.closed) return { ok: true };
    // The same session again after it was closed here (its verifier moved): let the old loop end first.
    if (existing) await Promise.race([existing.ended, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (this.sessions.has(req.sessionId))
      return {
        ok: false,
        error: {
          code: "worker_busy",
          message: `session ${req.sessionId} is still closing on ${this.config.WORKER_ID}`,
        },
      };
    // A session that just finished may not have let go of its slot yet: give it a moment.
    for (let waited = 0; this.activeSessions >= this.config.MAX_SESSIONS && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.activeSessions >= this.config.MAX_SESSIONS) {
      return { ok: false, error: { code: "worker_busy", message: `drafter ${this.config.WORKER_ID} is at capacity` } };
    }
    const contextSize = this.draftModel.context.contextSize;
    if (req.committedTokens.length + req.maxTokens > contextSize) {
      return {
        ok: false,
        error: {
          code: "prompt_too_long",
          message: `the session needs ${req.committedTokens.length + req.maxTokens} tokens; the drafter's context holds ${contextSize}`,
        },
      };
    }
    const drawing: SamplingParams = isGreedy(req.sampling)
      ? { temperature: this.config.DRAFT_TEMPERATURE, topK: 0, topP: 1, seed: this.config.DRAFT_SEED }
      : req.sampling;
    const { native, context } = this.draftModel;
    const session: DrafterSession = {
      id: req.sessionId,
      verifierId: req.verifierId,
      model: isGreedy(drawing)
        ? await openGreedyDraft(native, context, req.committedTokens)
        : await ModelSession.open(context, req.committedTokens),
      promptLength: req.committedTokens.length,
      maxTokens: req.maxTokens,
      window: this.windowFor(req),
      sampling: req.sampling,
      drawing,
      closed: false,
      reported: false,
      ended: Promise.resolve(),
    };
    this.sessions.set(req.sessionId, session);
    this.meter.sessions(this.activeSessions);
    const loop = this.run(session);
    session.ended = loop;
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
    return { ok: true };
  }

  /**
   * The request's window, else the worker's policy. A seeded sampled request keeps a fixed
   * window: which tokens are drawn as bonus tokens depends on where rounds end, so the same
   * seed gives the same text only when the rounds do.
   */
  private windowFor(req: PayloadOf<typeof DrafterOpen>): WindowPolicy {
    if (req.window !== null) return fixedWindow(req.window);
    if (req.sampling.seeded && !isGreedy(req.sampling)) return fixedWindow(this.config.WINDOW);
    return windowPolicy(
      this.config.WINDOW_POLICY,
      this.config.WINDOW,
      this.config.MAX_WINDOW,
      this.verifierLinks.estimator(req.verifierId, req.verifierProfile),
      { pipelined: this.config.DRAFT_PIPELINE },
    );
  }

  private async run(session: DrafterSession): Promise<void> {
    const sampling = session.drawing;
    const withQ = !isGreedy(session.sampling);
    let finished = false;
    /** The next window, drafted while the previous verify was in flight (pipelining). */
    let ahead: DraftedWindow | null = null;
    /** `ahead`, already sent on the guess that the previous round is accepted whole (DRAFT_SEND_AHEAD). */
    let aheadSent: SentRound | null = null;
    try {
      while (!session.closed) {
        const position = session.model.position;
        const started = performance.now();
        let draft: DraftedWindow;
        let round: SentRound;
        if (ahead && aheadSent) {
          draft = ahead;
          round = aheadSent;
        } else {
          const generated = position - session.promptLength;
          const window = Math.min(session.window.next(), Math.max(0, session.maxTokens - generated - 1));
          if (ahead && ahead.tokens.length === window) draft = ahead;
          else {
            if (ahead) await session.model.rollbackToCommitted();
            draft = await session.model.draft(window, sampling, undefined, withQ);
            this.meter.drafted(draft.tokens.length, performance.now() - started);
          }
          round = this.sender.send(session, position, draft);
        }
        ahead = null;
        aheadSent = null;
        const window = draft.tokens.length;
        let sentEarly: SentRound | null = null;
        const guess: Promise<DraftedWindow | null> = this.pipelines(session, draft.tokens)
          ? session.model.draft(window + 1, sampling, [draft.tokens.at(-1)!], withQ).then((next) => {
              // The verifier takes it right after this round when the guess holds (a round behind
              // the session repeating what was committed), else answers it stale.
              if (this.sendsAhead(session, round, next, window))
                sentEarly = this.sender.send(session, position + window, next, true);
              return next;
            })
          : Promise.resolve(null);
        // Both must settle before the cache is touched again (or the session is freed).
        const [replied, guessed] = await Promise.allSettled([round.reply, guess]);
        const settled = performance.now();
        if (replied.status === "rejected") throw replied.reason;
        if (guessed.status === "rejected") throw guessed.reason;
        const reply = replied.value;
        if (reply.status === "rejected") {
          this.log.warn(
            { sessionId: session.id, code: reply.error.code, reason: reply.error.message },
            "verifier rejected the round",
          );
          // session_lost: the verifier no longer has it (or goes on alone); anything else, hand it back.
          finished = reply.error.code === "session_lost";
          break;
        }
        // The guess holds if every draft token was accepted and the bonus is its first token.
        const next = guessed.value;
        const guessedRight =
          next !== null &&
          reply.status === "applied" &&
          reply.accepted === draft.tokens.length &&
          reply.tokens.at(-1) === next.tokens[0];
        await commitAnswer(session.model, reply, guessedRight);
        if (guessedRight) {
          ahead = { tokens: next.tokens.slice(1), q: next.q.slice(1) };
          aheadSent = sentEarly;
        }
        if (reply.status === "applied") {
          // On this loop's path: from when it was sent, or began (a round sent ahead waited behind the last).
          const onPath = Math.max(round.sentAt, started);
          const answeredAt = Math.max(round.answeredAt, onPath);
          const draftMs = Math.max(0, round.sentAt - started);
          this.stats.round(draft.tokens.length, reply.accepted, reply.tokens.length);
          this.meter.phase("draft", draftMs);
          this.meter.phase("round_trip", answeredAt - onPath);
          this.meter.phase("ahead", settled - answeredAt);
          this.report(session, {
            position,
            window: draft.tokens.length,
            accepted: reply.accepted,
            draftMs,
            verifyMs: reply.verifyMs,
            networkMs: Math.max(0, answeredAt - onPath - reply.verifyMs),
            batchTokens: reply.batchTokens,
          });
          this.meter.phase("apply", performance.now() - settled);
        }
        if (reply.finished) {
          finished = true;
          break;
        }
        if (this.config.DRAFT_HAND_BACK && session.window.handBack()) {
          // Speculating over this link costs more than it gains: the verifier goes on alone.
          this.log.warn(
            { sessionId: session.id, verifierId: session.verifierId },
            "handing the session back: the verifier alone is faster",
          );
          if (ahead) await session.model.rollbackToCommitted();
          await this.handBack(session, true);
          finished = true;
          break;
        }
      }
    } catch (err) {
      this.log.error({ sessionId: session.id, err: String(err) }, "drafting stopped");
    } finally {
      if (!finished) await this.handBack(session);
      this.sessions.delete(session.id);
      this.reports.flush();
      this.meter.sessions(this.activeSessions);
      await session.model.dispose();
      this.log.debug({ sessionId: session.id }, "session closed");
    }
  }

  /** Per verifier worked with: the network's share of a round and the acceptance, lately. */
  links(): LinkStats[] {
    return this.verifierLinks.stats();
  }

  /** Feeds the session's window policy and tells observers how the round went. */
  private report(
    session: DrafterSession,
    round: Omit<RoundReport, "sessionId" | "drafterId" | "verifierId" | "at">,
  ): void {
    session.window.observe(round);
    const { id: sessionId, verifierId } = session;
    const report = { ...round, sessionId, drafterId: this.config.WORKER_ID, verifierId, at: Date.now() };
    this.reports.add(report, !session.reported);
    session.reported = true;
  }

  private publishReports(batch: RoundReportBatch): void {
    try {
      this.bus.publish(RoundReports, "", batch);
    } catch (err) {
      // Telemetry only: a report lost while NATS is away costs observers a few rounds' figures.
      this.log.warn({ rounds: batch.reports.length, err: String(err) }, "could not send round reports");
    }
  }

  /**
   * Whether to draft the next window now: pipelining on, and a window that did not end the text
   * (neither its last token nor max_tokens).
   */
  private pipelines(session: DrafterSession, draft: readonly number[]): boolean {
    const generated = session.model.position - session.promptLength;
    return (
      this.config.DRAFT_PIPELINE &&
      draft.length > 0 &&
      generated + draft.length + 1 < session.maxTokens &&
      !session.model.isEndOfGeneration(draft.at(-1)!)
    );
  }

  /** Whether to send the window drafted ahead before `round` is answered: a whole one, while it is not. */
  private sendsAhead(session: DrafterSession, round: SentRound, next: DraftedWindow, window: number): boolean {
    return (
      this.config.DRAFT_SEND_AHEAD &&
      round.answeredAt === 0 &&
      !session.closed &&
      next.tokens.length === window + 1 &&
      next.tokens.length <= MAX_DRAFT_TOKENS
    );
  }

  /**
   * Stopping before the end (shutdown, error, or `fasterAlone`: the verifier alone is faster over
   * this link): the verifier must not wait for us.
   */
  private async handBack(session: DrafterSession, fasterAlone = false): Promise<void> {
    await this.bus
      .request(
        VerifierDetach,
        session.verifierId,
        {
          sessionId: session.id,
          drafterId: this.config.WORKER_ID,
          reason: fasterAlone ? "the verifier alone is faster" : "drafter stopped",
          by: "drafter",
          fasterAlone,
        },
        2000,
      )
      .catch((err: unknown) =>
        this.log.warn({ sessionId: session.id, err: String(err) }, "could not hand the session back"),
      );
  }

  /** Stops a session; its loop ends after the step in progress and frees the sequence. */
  private close(sessionId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session || session.closed) return false;
    session.closed = true;
    this.meter.sessions(this.activeSessions);
    this.log.debug({ sessionId, reason }, "session closing");
    return true;
  }
}
