import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Subscription } from "nats";
import type { Token } from "node-llama-cpp";
import {
  distributionFromWire,
  SchedulerSessionEnded,
  SessionReplay,
  SessionStream,
  VerifierAttach,
  VerifierDetach,
  VerifierOpen,
  VerifierRelease,
  VerifyRound,
  WorkerClose,
  WorkerSessions,
  type PayloadOf,
  type RemoteError,
  type ReplyOf,
  type SessionEnded,
} from "#contracts";
import type { VerifyWorkerConfig } from "#config";
import { ModelSession, tokenizePrompt, verifyWindow } from "#llama";
import type { Logger } from "#logging";
import { admitRound, cutCompletion, isGreedy, type Distribution } from "#speculation";
import type { ContractBus } from "#transport";
import {
  KeyedLock,
  WORKER_BUS,
  WORKER_CONFIG,
  WORKER_LOGGER,
  WORKER_MODEL,
  WorkerStats,
  type WorkerModel,
} from "#worker";
import { batchingPolicy } from "#batching";
import { committedTokens, journalledEnd, type JournalEntry, type SessionJournal } from "#journal";
import { SessionLog } from "./session-log.js";
import { TextStream } from "./text-stream.js";
import { VerifyBatcher } from "./verify-batcher.js";
import { VerifierSession } from "./verifier-session.js";
import { SESSION_JOURNAL } from "./journal.provider.js";

type OpenRequest = PayloadOf<typeof VerifierOpen>;
type VerifyRequest = PayloadOf<typeof VerifyRound>;
type VerifyReply = ReplyOf<typeof VerifyRound>;
type EndReason = SessionEnded["finishReason"];

/**
 * The target side of the round: owns each session's committed sequence, verifies a window in
 * one forward pass, publishes the committed tokens, and answers stale rounds without applying
 * them twice. Concurrent rounds of different sessions reach llama.cpp in the same tick and are
 * decoded together; everything that touches one session (rounds, closing) runs under its lock.
 */
@Injectable()
export class VerifierService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly stats = new WorkerStats();
  private readonly sessions = new Map<string, VerifierSession>();
  private readonly lock = new KeyedLock();
  private subscriptions: Subscription[] = [];
  private watchdog?: NodeJS.Timeout;
  private readonly batcher: VerifyBatcher;
  private readonly stream: SessionLog;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: VerifyWorkerConfig,
    @Inject(WORKER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(WORKER_MODEL) private readonly target: WorkerModel,
    @Inject(SESSION_JOURNAL) journal: SessionJournal,
  ) {
    this.stream = new SessionLog(journal, bus, log, config.WORKER_ID);
    const limit = config.VERIFY_BATCH_LIMIT || config.MAX_SESSIONS;
    this.batcher = new VerifyBatcher(
      batchingPolicy(config.VERIFY_BATCHING),
      limit,
      config.VERIFY_BATCH_WAIT_MS,
      (size) => this.stats.batch(size),
      () => this.sessions.size,
    );
  }

  onApplicationBootstrap(): void {
    const id = this.config.WORKER_ID;
    this.subscriptions = [
      this.bus.serve(VerifierOpen, id, (req) => this.open(req)),
      this.bus.serve(VerifyRound, id, (req) => this.lock.run(req.sessionId, () => this.verify(req))),
      this.bus.serve(WorkerClose, id, (req) =>
        this.lock.run(req.sessionId, async () => ({ closed: await this.end(req.sessionId, "cancelled") })),
      ),
      this.bus.serve(VerifierDetach, id, async (req) => ({
        detached: this.detach(req.sessionId, req.drafterId, req.reason),
      })),
      this.bus.serve(VerifierAttach, id, (req) =>
        this.lock.run(req.sessionId, async () => this.attach(req.sessionId, req.drafterId)),
      ),
      this.bus.serve(VerifierRelease, id, (req) =>
        this.lock.run(req.sessionId, () => this.release(req.sessionId, req.reason)),
      ),
      this.bus.serve(WorkerSessions, id, async () => ({ sessionIds: [...this.sessions.keys()] })),
      this.bus.serve(SessionReplay, id, async (req) => ({
        replayed: await this.stream.replay(req.sessionId, req.fromIndex),
      })),
    ];
    this.watchdog = setInterval(() => this.dropSilentDrafters(), Math.min(1000, this.config.DRAFTER_SILENCE_MS));
  }

  onModuleDestroy(): void {
    clearInterval(this.watchdog);
    for (const sub of this.subscriptions) sub.unsubscribe();
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  get targetOnlySessions(): number {
    let alone = 0;
    for (const session of this.sessions.values()) if (session.alone) alone++;
    return alone;
  }

  private async open(req: OpenRequest): Promise<ReplyOf<typeof VerifierOpen>> {
    const existing = this.sessions.get(req.sessionId);
    if (existing) {
      return {
        ok: true,
        promptTokens: [...existing.promptTokens],
        generatedTokens: [...existing.generated],
        position: existing.model.position,
        finished: existing.finished,
      };
    }
    if (this.sessions.size >= this.config.MAX_SESSIONS) {
      return { ok: false, error: { code: "worker_busy", message: `verifier ${this.config.WORKER_ID} is at capacity` } };
    }
    if (req.resume) return this.resume(req);
    const model = this.target.loaded.model;
    const promptTokens = tokenizePrompt(model, req.prompt);
    if (promptTokens.length === 0) {
      return {
        ok: false,
        error: { code: "bad_request", message: "the prompt is empty and the model has no beginning token" },
      };
    }
    const contextSize = this.target.context.contextSize;
    if (promptTokens.length + req.maxTokens > contextSize) {
      return {
        ok: false,
        error: {
          code: "prompt_too_long",
          message: `the prompt (${promptTokens.length} tokens) plus max_tokens (${req.maxTokens}) exceeds the model's context of ${contextSize} tokens; shorten the prompt or lower max_tokens`,
        },
      };
    }
    await this.stream.begin({
      sessionId: req.sessionId,
      model: this.target.loaded.name,
      promptTokens,
      maxTokens: req.maxTokens,
      sampling: req.sampling,
      openedAt: Date.now(),
    });
    const session = await this.start(req.sessionId, promptTokens, [], 0, req.maxTokens, req.sampling, req.drafterId);
    return { ok: true, promptTokens, generatedTokens: [], position: session.model.position, finished: false };
  }

  /**
   * Takes over a session another verifier journalled: prefill the prompt and the committed
   * tokens, replay the journalled events (the gateway keeps those it lacks, by index), go on.
   */
  private async resume(req: OpenRequest): Promise<ReplyOf<typeof VerifierOpen>> {
    const record = await this.stream.read(req.sessionId);
    if (!record)
      return {
        ok: false,
        error: { code: "session_lost", message: `no journal of session ${req.sessionId} to resume from` },
      };
    const { header, entries } = record;
    const generated = committedTokens(record);
    if (journalledEnd(record)) {
      // It had finished before the handover: only its last events may be missing.
      for (const entry of entries) this.stream.publish(req.sessionId, entry);
      return {
        ok: true,
        promptTokens: header.promptTokens,
        generatedTokens: generated,
        position: header.promptTokens.length + generated.length,
        finished: true,
      };
    }
    if (header.promptTokens.length + header.maxTokens > this.target.context.contextSize) {
      return {
        ok: false,
        error: {
          code: "prompt_too_long",
          message: `the session needs ${header.promptTokens.length + header.maxTokens} tokens; this verifier's context holds ${this.target.context.contextSize}`,
        },
      };
    }
    await this.stream.claim(req.sessionId);
    const sent = entries.reduce((sum, e) => sum + e.text.length, 0);
    const session = await this.start(
      req.sessionId,
      header.promptTokens,
      generated,
      sent,
      header.maxTokens,
      header.sampling,
      req.drafterId,
      entries,
    );
    return {
      ok: true,
      promptTokens: header.promptTokens,
      generatedTokens: generated,
      position: session.model.position,
      finished: session.finished,
    };
  }

  /** Opens the session's sequence, announces it (replaying `replay`), and starts it. */
  private async start(
    sessionId: string,
    promptTokens: number[],
    generated: number[],
    sentText: number,
    maxTokens: number,
    sampling: OpenRequest["sampling"],
    drafterId: string | null,
    replay: readonly JournalEntry[] = [],
  ): Promise<VerifierSession> {
    const model = this.target.loaded.model;
    const detokenize = (tokens: readonly number[], context: readonly number[]) =>
      model.detokenize(tokens as Token[], false, context as Token[]);
    const session = new VerifierSession(
      sessionId,
      await ModelSession.open(this.target.context, [...promptTokens, ...generated]),
      promptTokens,
      maxTokens,
      sampling,
      drafterId,
      new TextStream(detokenize, promptTokens, sentText),
    );
    session.generated.push(...generated);
    this.sessions.set(sessionId, session);
    const resumed = replay.length > 0 ? { resumedAt: generated.length } : {};
    this.bus.publish(SessionStream, sessionId, {
      kind: "opened",
      sessionId,
      promptTokens: promptTokens.length,
      verifierId: this.config.WORKER_ID,
      drafterId,
      ...resumed,
    });
    for (const entry of replay) this.stream.publish(sessionId, entry);
    this.log.info(
      {
        sessionId,
        promptTokens: promptTokens.length,
        drafterId,
        resumedAt: replay.length > 0 ? generated.length : undefined,
      },
      replay.length > 0 ? "session resumed" : "session opened",
    );
    const last = generated.at(-1);
    if (generated.length >= maxTokens || (last !== undefined && session.model.isEndOfGeneration(last))) {
      // It had finished before the handover: only the end was missing.
      await this.lock.run(sessionId, () => this.finish(session, generated.length >= maxTokens ? "length" : "stop"));
    } else if (session.alone) void this.decodeAlone(session);
    return session;
  }

  private async verify(req: VerifyRequest): Promise<VerifyReply> {
    const session = this.sessions.get(req.sessionId);
    if (!session)
      return this.rejected(req.sessionId, {
        code: "session_lost",
        message: `no session ${req.sessionId} on ${this.config.WORKER_ID}`,
      });
    session.lastDrafterAt = Date.now();
    const admission = admitRound(session.model.position, req.position);
    if (admission.kind === "ahead") {
      return this.rejected(req.sessionId, {
        code: "bad_request",
        message: `round at ${req.position} is ahead of the session (at ${session.model.position})`,
      });
    }
    if (admission.kind === "stale") {
      return {
        status: "stale",
        sessionId: req.sessionId,
        position: req.position,
        tokens: session.model.ledger.committedTokens(admission.committedSince),
        nextPosition: session.model.position,
        finished: session.finished,
      };
    }
    // llama.cpp fails a whole batch on one bad id: refuse it here, for this session only.
    const vocabulary = this.target.loaded.vocabularySize;
    const outside = req.draft.find((token) => token >= vocabulary);
    if (outside !== undefined) {
      return this.rejected(req.sessionId, {
        code: "bad_request",
        message: `draft token ${outside} is outside the vocabulary (${vocabulary} tokens): a drafter with another tokenizer?`,
      });
    }
    const q = this.draftDistributions(session, req);
    if (typeof q === "string") return this.rejected(req.sessionId, { code: "bad_request", message: q });
    if (session.alone)
      return this.rejected(req.sessionId, { code: "session_lost", message: "the session no longer takes a drafter" });
    return this.round(session, req.draft, q);
  }

  /** q for a sampled session's draft, checked; a message saying what is wrong otherwise. */
  private draftDistributions(session: VerifierSession, req: VerifyRequest): Distribution[] | string {
    if (isGreedy(session.sampling)) return [];
    if (!req.q || req.q.length !== req.draft.length) {
      return `a sampled session needs the drafter's distribution q with each of the ${req.draft.length} draft tokens (got ${req.q?.length ?? 0})`;
    }
    const vocabulary = this.target.loaded.vocabularySize;
    const q = req.q.map(distributionFromWire);
    for (let i = 0; i < q.length; i++) {
      const token = req.draft[i]!;
      if (!((q[i]!.get(token) ?? 0) > 0))
        return `draft token ${token} at index ${i} has no probability in the q sent with it`;
      const outside = req.q[i]!.tokens.find((t) => t >= vocabulary);
      if (outside !== undefined)
        return `q at index ${i} names token ${outside}, outside the vocabulary (${vocabulary} tokens)`;
    }
    return q;
  }

  /** One round, under the session's lock: verify the (trimmed) window, commit, publish, finish. */
  private async round(
    session: VerifierSession,
    window: readonly number[],
    q: readonly Distribution[] = [],
  ): Promise<VerifyReply> {
    if (this.sessions.get(session.id) !== session)
      return this.rejected(session.id, { code: "session_lost", message: "the session has ended" });
    const position = session.model.position;
    // Accepting more than remaining-1 drafts cannot matter: the round's last token ends it.
    const room = Math.max(0, session.maxTokens - session.generated.length - 1);
    const draft = window.slice(0, room);
    const started = performance.now();
    let verdict;
    let batchTokens = 0;
    try {
      const tokens = session.model.ledger.uncachedTail().length + draft.length;
      const run = <T>(pass: () => Promise<T>) =>
        this.batcher.submit(session.id, tokens, pass, (size) => (batchTokens = size));
      verdict = await verifyWindow(session.model, draft, q.slice(0, room), session.sampling, { run });
      await session.model.commit(position, verdict.tokens);
    } catch (err) {
      // The cache and the ledger may disagree now: end the session rather than go on wrong.
      await this.end(session.id, "error", {
        code: "internal",
        message: `verification failed: ${(err as Error).message}`,
      });
      throw err;
    }
    const cut = cutCompletion(verdict.tokens, session.generated.length, session.maxTokens, (t) =>
      session.model.isEndOfGeneration(t),
    );
    const index = session.generated.length;
    session.generated.push(...cut.emitted);
    session.rounds++;
    session.drafted += draft.length;
    session.accepted += verdict.accepted;
    this.stats.round(draft.length, verdict.accepted, cut.emitted.length);
    const final = cut.finishReason !== null;
    if (cut.emitted.length > 0) {
      const entry = { index, tokens: cut.emitted, text: session.text.delta(session.generated, final) };
      // Journalled before published: whatever the client sees, another verifier can go on from.
      if (!(await this.stream.write(session.id, entry))) return this.fenced(session);
    }
    if (cut.finishReason) await this.finish(session, cut.finishReason);
    const verifyMs = performance.now() - started;
    return {
      status: "applied",
      sessionId: session.id,
      position,
      accepted: verdict.accepted,
      tokens: verdict.tokens,
      nextPosition: session.model.position,
      finished: final,
      verifyMs,
      batchTokens,
    };
  }

  /** Journals and publishes the end (and any held-back text) and ends the session; under its lock. */
  private async finish(session: VerifierSession, finishReason: "stop" | "length"): Promise<void> {
    const generatedTokens = session.generated.length;
    const entry: JournalEntry = {
      index: generatedTokens,
      tokens: [],
      text: session.text.delta(session.generated, true),
      end: { finishReason, generatedTokens },
    };
    if (!(await this.stream.write(session.id, entry))) {
      await this.fenced(session);
      return;
    }
    await this.end(session.id, finishReason);
  }

  /** Another verifier took the session over while this one was cut off: let go without a word. */
  private async fenced(session: VerifierSession): Promise<VerifyReply> {
    this.log.warn({ sessionId: session.id }, "another verifier has taken the session over; letting go");
    await this.release(session.id, "taken over");
    return this.rejected(session.id, { code: "session_lost", message: "the session moved to another verifier" });
  }

  /** Target-only decoding (γ = 0) for a session without a drafter, until one is attached. */
  private async decodeAlone(session: VerifierSession): Promise<void> {
    try {
      while (this.sessions.get(session.id) === session && session.alone) {
        await this.lock.run(session.id, async () => {
          if (session.alone) await this.round(session, []);
        });
      }
    } catch (err) {
      this.log.error({ sessionId: session.id, err: String(err) }, "target-only decoding failed");
    }
  }

  /** A session decoding alone takes a drafter again (under its lock: no alone round is in flight). */
  private attach(sessionId: string, drafterId: string): ReplyOf<typeof VerifierAttach> {
    const session = this.sessions.get(sessionId);
    if (!session)
      return {
        ok: false,
        error: { code: "session_lost", message: `no session ${sessionId} on ${this.config.WORKER_ID}` },
      };
    if (!session.alone)
      return {
        ok: false,
        error: { code: "bad_request", message: `session ${sessionId} already has drafter ${session.drafterId}` },
      };
    session.alone = false;
    session.drafterId = drafterId;
    session.lastDrafterAt = Date.now();
    this.log.info({ sessionId, drafterId }, "drafter attached");
    return {
      ok: true,
      committedTokens: session.model.ledger.committedTokens(),
      maxTokens: session.maxTokens,
      sampling: session.sampling,
    };
  }

  /** Lets go of a session for another verifier to resume (drain): no end event, journal kept. */
  private async release(sessionId: string, reason: string): Promise<ReplyOf<typeof VerifierRelease>> {
    const session = this.sessions.get(sessionId);
    if (!session) return { released: false, position: null };
    this.sessions.delete(sessionId);
    session.finished = true;
    await session.model.dispose();
    this.log.info({ sessionId, reason, generated: session.generated.length }, "session released");
    return { released: true, position: session.model.position };
  }

  /** The drafter stopped following the session: finish it alone (target-only). */
  private detach(sessionId: string, drafterId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session || session.alone || session.drafterId !== drafterId) return false;
    session.alone = true;
    this.log.warn({ sessionId, drafterId, reason }, "drafter detached; continuing target-only");
    void this.decodeAlone(session);
    return true;
  }

  private dropSilentDrafters(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (!session.alone && session.drafterId && now - session.lastDrafterAt > this.config.DRAFTER_SILENCE_MS) {
        this.detach(session.id, session.drafterId, `no round for ${now - session.lastDrafterAt} ms`);
      }
    }
  }

  /**
   * Ends a session: run it under the session's lock (or from a round, which holds it), so no
   * evaluation of its sequence is pending when the sequence is freed.
   */
  private async end(sessionId: string, reason: EndReason, error?: RemoteError): Promise<boolean> {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.sessions.delete(sessionId);
    session.finished = true;
    if (error) this.stream.publishError(sessionId, error);
    await session.model.dispose();
    this.stream.finish(sessionId);
    // A drafter learns of a normal finish from the round's reply; of anything else, from us.
    if (!session.alone && session.drafterId && (reason === "cancelled" || reason === "error")) {
      this.bus.request(WorkerClose, session.drafterId, { sessionId, reason }, 2000).catch(() => undefined);
    }
    this.bus.publish(SchedulerSessionEnded, "", {
      sessionId,
      verifierId: this.config.WORKER_ID,
      drafterId: session.drafterId,
      finishReason: reason,
      generatedTokens: session.generated.length,
      rounds: session.rounds,
      draftedTokens: session.drafted,
      acceptedTokens: session.accepted,
    });
    const acceptance = session.drafted ? session.accepted / session.drafted : null;
    this.log.info(
      {
        sessionId,
        finishReason: reason,
        generated: session.generated.length,
        rounds: session.rounds,
        acceptance,
        targetOnly: session.alone,
      },
      "session ended",
    );
    return true;
  }

  private rejected(sessionId: string, error: RemoteError): VerifyReply {
    return { status: "rejected", sessionId, error };
  }
}
