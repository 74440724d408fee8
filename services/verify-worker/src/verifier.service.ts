import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { ClientProxy } from "@nestjs/microservices";
import type { Subscription } from "nats";
import {
  SchedulerSessionEnded,
  SessionStream,
  VerifierDetach,
  VerifierOpen,
  VerifyRound,
  WorkerClose,
  type PayloadOf,
  type ReplyOf,
} from "#contracts";
import type { VerifyWorkerConfig } from "#config";
import { ModelSession, tokenizePrompt } from "#llama";
import type { Logger } from "#logging";
import { acceptGreedy, admitRound, cutCompletion } from "#speculation";
import { emitContract, type ContractBus } from "#transport";
import { CONTROL_PLANE, KeyedLock, WORKER_BUS, WORKER_CONFIG, WORKER_LOGGER, WORKER_MODEL, WorkerStats, type WorkerModel } from "#worker";
import { TextStream } from "./text-stream.js";
import { VerifierSession } from "./verifier-session.js";

type OpenRequest = PayloadOf<typeof VerifierOpen>;
type VerifyRequest = PayloadOf<typeof VerifyRound>;
type VerifyReply = ReplyOf<typeof VerifyRound>;

/**
 * The target side of the round: owns each session's committed sequence, verifies a window in
 * one forward pass, publishes the committed tokens, and answers stale rounds without applying
 * them twice. Concurrent rounds of different sessions reach llama.cpp in the same tick and are
 * decoded together; rounds of one session are serialised.
 */
@Injectable()
export class VerifierService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly stats = new WorkerStats();
  private readonly sessions = new Map<string, VerifierSession>();
  private readonly lock = new KeyedLock();
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: VerifyWorkerConfig,
    @Inject(WORKER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(WORKER_MODEL) private readonly target: WorkerModel,
    @Inject(CONTROL_PLANE) private readonly controlPlane: ClientProxy,
  ) {}

  onApplicationBootstrap(): void {
    const id = this.config.WORKER_ID;
    this.subscriptions = [
      this.bus.serve(VerifierOpen, id, (req) => this.open(req)),
      this.bus.serve(VerifyRound, id, (req) => this.lock.run(req.sessionId, () => this.verify(req))),
      this.bus.serve(WorkerClose, id, async (req) => ({ closed: this.end(req.sessionId, "cancelled") })),
      this.bus.serve(VerifierDetach, id, async (req) => ({ detached: this.detach(req.sessionId, req.drafterId, req.reason) })),
    ];
  }

  onModuleDestroy(): void {
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
      const promptTokens = existing.model.ledger.committedTokens().slice(0, existing.promptLength);
      return { ok: true, promptTokens, position: existing.model.position };
    }
    if (this.sessions.size >= this.config.MAX_SESSIONS) {
      return { ok: false, error: { code: "worker_busy", message: `verifier ${this.config.WORKER_ID} is at capacity` } };
    }
    const model = this.target.loaded.model;
    const promptTokens = tokenizePrompt(model, req.prompt);
    if (promptTokens.length === 0) {
      return { ok: false, error: { code: "bad_request", message: "the prompt is empty and the model has no beginning token" } };
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
    const session = new VerifierSession(
      req.sessionId,
      await ModelSession.open(this.target.context, promptTokens),
      promptTokens.length,
      req.maxTokens,
      req.drafterId,
      new TextStream((tokens) => model.detokenize(tokens as never)),
    );
    this.sessions.set(req.sessionId, session);
    this.bus.publish(SessionStream, req.sessionId, {
      kind: "opened",
      sessionId: req.sessionId,
      promptTokens: promptTokens.length,
      verifierId: this.config.WORKER_ID,
      drafterId: req.drafterId,
    });
    this.log.info({ sessionId: req.sessionId, promptTokens: promptTokens.length, drafterId: req.drafterId }, "session opened");
    if (session.alone) void this.decodeAlone(session);
    return { ok: true, promptTokens, position: session.model.position };
  }

  private async verify(req: VerifyRequest): Promise<VerifyReply> {
    const session = this.sessions.get(req.sessionId);
    if (!session) {
      return { status: "rejected", sessionId: req.sessionId, error: { code: "session_lost", message: `no session ${req.sessionId} on ${this.config.WORKER_ID}` } };
    }
    const admission = admitRound(session.model.position, req.position);
    if (admission.kind === "ahead") {
      return {
        status: "rejected",
        sessionId: req.sessionId,
        error: { code: "bad_request", message: `round at ${req.position} is ahead of the session (at ${session.model.position})` },
      };
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
    return this.round(session, req.draft);
  }

  /** One round: verify the (trimmed) window, commit, publish, finish when done. */
  private async round(session: VerifierSession, window: readonly number[]): Promise<VerifyReply> {
    const position = session.model.position;
    // Accepting more than remaining-1 drafts cannot matter: the round's last token ends it.
    const room = Math.max(0, session.maxTokens - session.generated.length - 1);
    const draft = window.slice(0, room);
    const verdict = acceptGreedy(draft, await session.model.predict(draft));
    await session.model.commit(position, verdict.tokens);
    const cut = cutCompletion(verdict.tokens, session.generated.length, session.maxTokens, (t) => session.model.isEndOfGeneration(t));
    const index = session.generated.length;
    session.generated.push(...cut.emitted);
    session.rounds++;
    session.drafted += draft.length;
    session.accepted += verdict.accepted;
    this.stats.round(draft.length, verdict.accepted, cut.emitted.length);
    const final = cut.finishReason !== null;
    if (cut.emitted.length > 0) {
      const text = session.text.delta(session.generated, final);
      this.bus.publish(SessionStream, session.id, { kind: "tokens", sessionId: session.id, index, tokens: cut.emitted, text });
    }
    if (cut.finishReason) {
      session.finished = true;
      this.bus.publish(SessionStream, session.id, {
        kind: "end",
        sessionId: session.id,
        finishReason: cut.finishReason,
        generatedTokens: session.generated.length,
        text: session.text.delta(session.generated, true),
      });
      this.end(session.id, cut.finishReason);
    }
    return {
      status: "applied",
      sessionId: session.id,
      position,
      accepted: verdict.accepted,
      tokens: verdict.tokens,
      nextPosition: session.model.position,
      finished: final,
    };
  }

  /** The drafter stopped following the session: finish it alone (target-only). */
  private detach(sessionId: string, drafterId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session || session.finished || session.alone || session.drafterId !== drafterId) return false;
    session.alone = true;
    this.log.warn({ sessionId, drafterId, reason }, "drafter detached; continuing target-only");
    void this.decodeAlone(session);
    return true;
  }

  /** Target-only decoding (γ = 0) for a session without a drafter. */
  private async decodeAlone(session: VerifierSession): Promise<void> {
    try {
      while (!session.finished && this.sessions.get(session.id) === session) {
        await this.lock.run(session.id, () => this.round(session, []));
      }
    } catch (err) {
      this.log.error({ sessionId: session.id, err: String(err) }, "target-only decoding failed");
      this.bus.publish(SessionStream, session.id, { kind: "error", sessionId: session.id, error: { code: "internal", message: String(err) } });
      this.end(session.id, "error");
    }
  }

  private end(sessionId: string, finishReason: "stop" | "length" | "error" | "cancelled"): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.sessions.delete(sessionId);
    session.finished = true;
    session.model.dispose();
    // A drafter learns of a normal finish from the round's reply; of anything else, from us.
    if (!session.alone && session.drafterId && (finishReason === "cancelled" || finishReason === "error")) {
      this.bus.request(WorkerClose, session.drafterId, { sessionId, reason: finishReason }, 2000).catch(() => undefined);
    }
    emitContract(this.controlPlane, SchedulerSessionEnded, {
      sessionId,
      verifierId: this.config.WORKER_ID,
      drafterId: session.drafterId,
      finishReason,
      generatedTokens: session.generated.length,
      rounds: session.rounds,
      draftedTokens: session.drafted,
      acceptedTokens: session.accepted,
    });
    this.log.info(
      { sessionId, finishReason, generated: session.generated.length, rounds: session.rounds, acceptance: session.drafted ? session.accepted / session.drafted : null },
      "session ended",
    );
    return true;
  }
}
