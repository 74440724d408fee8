import type { PayloadOf, ReplyOf, VerifierOpen } from "#contracts";
import { committedTokens, journalledEnd, type JournalEntry } from "#journal";
import {
  completionText,
  InvalidPromptError,
  ModelSession,
  openGreedyTarget,
  promptTokensOf,
  type TargetSession,
} from "#llama";
import { isGreedy } from "#speculation";
import type { Logger } from "#logging";
import type { WorkerModel } from "#worker";
import type { RoundRunner } from "./round-runner.js";
import type { SessionLog } from "./session-log.js";
import type { SessionTable } from "./session-table.js";
import { SessionTrace } from "./session-trace.js";
import { TextStream } from "./text-stream.js";
import { TokenDelivery } from "./token-delivery.js";
import type { VerifierMeter } from "./verifier-meter.js";
import { VerifierSession } from "./verifier-session.js";

type OpenRequest = PayloadOf<typeof VerifierOpen>;
type OpenReply = ReplyOf<typeof VerifierOpen>;

/**
 * How a session starts on this verifier: opened (its prompt tokenized, admitted against the
 * context, journalled) or resumed from the journal another verifier wrote (prefilled with the
 * prompt and the committed tokens, its events replayed); then announced, and decoded alone
 * when no drafter follows it.
 */
export class SessionOpener {
  constructor(
    private readonly table: SessionTable,
    private readonly stream: SessionLog,
    private readonly rounds: RoundRunner,
    private readonly target: WorkerModel,
    private readonly log: Logger,
    private readonly verifierId: string,
    private readonly maxSessions: number,
    private readonly meter: VerifierMeter,
  ) {}

  async open(req: OpenRequest): Promise<OpenReply> {
    const existing = this.table.get(req.sessionId);
    if (existing) {
      return {
        ok: true,
        promptTokens: [...existing.promptTokens],
        generatedTokens: [...existing.generated],
        position: existing.model.position,
        finished: existing.finished,
      };
    }
    if (this.table.size >= this.maxSessions) {
      return { ok: false, error: { code: "worker_busy", message: `verifier ${this.verifierId} is at capacity` } };
    }
    // An open is idempotent whoever sends it: a session already journalled (opened before, here or
    // on a verifier since lost) is resumed from its journal; a resume of one never journalled (a
    // scheduler that died before the first open reached a verifier) is opened from its prompt.
    if (req.resume || (await this.stream.read(req.sessionId)) !== null) {
      const resumed = await this.resume(req);
      if (resumed) return resumed;
    }
    let promptTokens: number[];
    try {
      promptTokens = promptTokensOf(this.target.loaded, req.prompt);
    } catch (err) {
      if (!(err instanceof InvalidPromptError)) throw err;
      return { ok: false, error: { code: "invalid_prompt", message: err.message } };
    }
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
    const session = await this.start(req, promptTokens, req.maxTokens, req.sampling);
    return { ok: true, promptTokens, generatedTokens: [], position: session.model.position, finished: false };
  }

  /**
   * Takes over a session another verifier journalled: prefill the prompt and the committed
   * tokens, replay the journalled events (the gateway keeps those it lacks, by index), go on.
   * Null when there is no journal of it.
   */
  private async resume(req: OpenRequest): Promise<OpenReply | null> {
    // Claimed first: the verifier it leaves appends nothing more, so the record read next is whole.
    await this.stream.claim(req.sessionId);
    const record = await this.stream.read(req.sessionId);
    if (!record) return null;
    const { header, entries } = record;
    const generated = committedTokens(record);
    if (journalledEnd(record)) {
      // It had ended before the handover: only its last events may be missing.
      for (const entry of entries) this.stream.publish(req.sessionId, entry);
      return {
        ok: true,
        promptTokens: header.promptTokens,
        generatedTokens: generated,
        position: header.promptTokens.length + generated.length,
        finished: true,
      };
    }
    const contextSize = this.target.context.contextSize;
    if (header.promptTokens.length + header.maxTokens > contextSize) {
      return {
        ok: false,
        error: {
          code: "prompt_too_long",
          message: `the session needs ${header.promptTokens.length + header.maxTokens} tokens; this verifier's context holds ${contextSize}`,
        },
      };
    }
    const session = await this.start(req, header.promptTokens, header.maxTokens, header.sampling, generated, entries);
    return {
      ok: true,
      promptTokens: header.promptTokens,
      generatedTokens: generated,
      position: session.model.position,
      finished: session.finished,
    };
  }

  /** A greedy session on the native runner when there is one (TARGET_NATIVE), else on node-llama-cpp. */
  private openTarget(committed: readonly number[], sampling: OpenRequest["sampling"]): Promise<TargetSession> {
    const { native, context } = this.target;
    return isGreedy(sampling) ? openGreedyTarget(native, context, committed) : ModelSession.open(context, committed);
  }

  /** Opens the session's sequence, announces it (replaying `replay`), and starts it. */
  private async start(
    req: OpenRequest,
    promptTokens: number[],
    maxTokens: number,
    sampling: OpenRequest["sampling"],
    generated: number[] = [],
    replay: readonly JournalEntry[] = [],
  ): Promise<VerifierSession> {
    const { sessionId, drafterId } = req;
    const model = this.target.loaded.model;
    const detokenize = (tokens: readonly number[], context: readonly number[]) =>
      completionText(model, tokens, context);
    const sentText = replay.reduce((sum, e) => sum + e.text.length, 0);
    const session = new VerifierSession(
      sessionId,
      await this.openTarget([...promptTokens, ...generated], sampling),
      promptTokens,
      maxTokens,
      sampling,
      drafterId,
      new TextStream(detokenize, promptTokens, sentText),
      new TokenDelivery(req.tokenEvents ?? "each-round"),
    );
    session.generated.push(...generated);
    session.drafterModel = req.drafterModel ?? null;
    session.journalEntries = replay.length;
    session.journalledTokens = generated.length;
    this.meter.prefill(replay.length > 0 ? "resume" : "open", promptTokens.length + generated.length);
    this.table.add(session);
    session.trace = SessionTrace.begin(session, this.verifierId, replay.length > 0 ? generated.length : null);
    const resumed = replay.length > 0 ? { resumedAt: generated.length } : {};
    this.stream.announce({
      kind: "opened",
      sessionId,
      promptTokens: promptTokens.length,
      verifierId: this.verifierId,
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
    if (!(await this.rounds.finishIfComplete(session)) && session.alone) void this.rounds.decodeAlone(session);
    return session;
  }
}
