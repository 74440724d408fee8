import { randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import {
  SchedulerCancel,
  SessionReplay,
  type Prompt,
  type Sampling,
  type SessionEvent,
  type TokenEvents,
} from "#contracts";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { PayloadTooLargeError, PeerError, type ContractBus } from "#transport";
import { HttpApiError } from "#http";
import { clientClosed, fromFleetError, fromSessionEnd } from "../http/openai-error.js";
import { CompletionMeter, finishedReasonOf } from "../metrics/completion-meter.js";
import { GatewayMeters } from "../metrics/gateway-meters.js";
import { anonymousSource, type RequestSource } from "./request-source.js";
import { submitToScheduler } from "./scheduler-submit.js";
import { SessionReader, SessionReaderClosedError } from "./session-reader.js";
import { StopMatcher, tokensThrough } from "./stop-matcher.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WORKER_BUS } from "../tokens.js";

/** What the fleet is asked to run: a completion's or a chat's prompt, its bounds and sampling. */
export interface CompletionOrder {
  model: string;
  prompt: Prompt;
  maxTokens: number;
  sampling: Sampling;
  priority: number;
  /** Stop sequences, applied to the committed text (at most 4; none: []). */
  stop: readonly string[];
  /** The client reads the tokens as they come (server-sent events); else it waits for the whole answer. */
  streamed: boolean;
}

export type CompletionPiece =
  | {
      kind: "delta";
      text: string;
      tokens: number[];
      /** Where each token's text ends in `text`, when the verifier says (see tokensThrough). */
      textEnds?: readonly number[];
    }
  | { kind: "end"; finishReason: "stop" | "length"; completionTokens: number; text: string };

/**
 * Stops a session the client no longer waits for, wherever it is (queued or running), by telling
 * the scheduler: the scheduler cancels sessions (it closes the session on its verifier), the
 * verifier ends them. The gateway never closes a session on a worker itself.
 */
class SessionCanceller {
  private done = false;

  constructor(
    private readonly sessionId: string,
    private readonly bus: ContractBus,
  ) {}

  finished(): void {
    this.done = true;
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.bus.publish(SchedulerCancel, "", { sessionId: this.sessionId });
  }
}

/** A completion whose session is open on a verifier: read its pieces in order, or cancel it. */
export class OpenCompletion {
  constructor(
    readonly id: string,
    readonly created: number,
    readonly promptTokens: number,
    /** Where the session runs (replays are asked there); it moves when another verifier resumes it. */
    private verifierId: string,
    private readonly reader: SessionReader,
    private readonly canceller: SessionCanceller,
    private readonly idleMs: number,
    private readonly bus: ContractBus,
    private readonly replayAfterMs: number,
    stop: readonly string[],
    /** TTFT, latencies, tokens and the finish reason, counted once whatever reads the pieces. */
    private readonly meter: CompletionMeter,
  ) {
    this.stop = new StopMatcher(stop);
  }

  private readonly stop: StopMatcher;
  /** Tokens of the events read so far. */
  private generated = 0;

  /**
   * The pieces in order; stopping early (error, timeout, a consumer that quits) cancels. A
   * stream that stalls asks the verifier to replay the journalled events from where it stands
   * (events lost with a restarted nats-server), and gives up after `idleMs` without any. A
   * session that ends without finishing (cancelled, failed) ends the request with its error at
   * once; so does a client that left (499, nothing more is asked of the fleet).
   */
  async *pieces(): AsyncGenerator<CompletionPiece> {
    try {
      const wait = Math.min(this.replayAfterMs, this.idleMs);
      let stalled = 0;
      for (;;) {
        const event = await nextEvent(this.reader, wait);
        if (!event) {
          stalled += wait;
          if (stalled >= this.idleMs)
            throw new HttpApiError(504, `no token from the fleet for ${this.idleMs} ms`, "server_error", "timeout");
          this.askReplay();
          continue;
        }
        stalled = 0;
        const piece = this.pieceOf(event);
        if (!piece) continue;
        const cut = this.stopped(piece);
        for (const p of cut) {
          // Metered before the piece is handed on: a reader may stop at the end piece.
          if (p.kind === "delta") this.meter.tokens(p.tokens.length);
          else this.meter.finished(p.finishReason, p.completionTokens);
          yield p;
        }
        if (cut.at(-1)?.kind === "end") return;
      }
    } catch (err) {
      this.meter.finished(finishedReasonOf(err));
      throw err;
    } finally {
      this.cancel();
    }
  }

  /**
   * A piece as the client gets it once `stop` is applied: the text before the first stop
   * sequence, then an end (`stop`) counting the tokens through the one that completed it. The
   * session is then cancelled (pieces() returns), freeing its verifier and drafter.
   */
  private stopped(piece: CompletionPiece): CompletionPiece[] {
    const step = this.stop.push(piece.text);
    if (piece.kind === "end") {
      if (step.stoppedAt !== null) return [{ ...piece, finishReason: "stop", text: step.text }];
      return [{ ...piece, text: step.text + this.stop.flush() }];
    }
    if (step.stoppedAt === null) {
      this.generated += piece.tokens.length;
      return step.text || piece.tokens.length ? [{ ...piece, text: step.text }] : [];
    }
    const tokens = piece.tokens.slice(0, tokensThrough(piece.textEnds, step.stoppedAt, piece.tokens.length));
    const completionTokens = this.generated + tokens.length;
    return [
      { kind: "delta", text: step.text, tokens },
      { kind: "end", finishReason: "stop", completionTokens, text: "" },
    ];
  }

  /** What an event means for the client: a piece, nothing (opened), or an error thrown. */
  private pieceOf(event: SessionEvent): CompletionPiece | null {
    switch (event.kind) {
      case "owner":
        // The scheduler placed the session on this verifier (again, when the first died or was drained).
        this.verifierId = event.verifierId;
        return null;
      case "opened":
        return null;
      case "tokens":
        return { kind: "delta", text: event.text, tokens: event.tokens, textEnds: event.textEnds };
      case "error":
        this.canceller.finished();
        throw fromFleetError(event.error.code, event.error.message, event.error.retryAfterSeconds);
      case "end": {
        this.canceller.finished();
        const { finishReason } = event;
        if (finishReason === "cancelled" || finishReason === "error")
          throw fromSessionEnd(finishReason, event.generatedTokens, event.reason);
        return { kind: "end", finishReason, completionTokens: event.generatedTokens, text: event.text };
      }
    }
  }

  private askReplay(): void {
    this.bus
      .request(SessionReplay, this.verifierId, { sessionId: this.id, fromIndex: this.reader.position }, 2000)
      .catch(() => undefined);
  }

  /** The client went away: stop the session and free its verifier and drafter. */
  cancel(): void {
    this.meter.finished("cancelled");
    this.reader.close();
    this.canceller.cancel();
  }
}

@Injectable()
export class CompletionService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    private readonly meters: GatewayMeters,
  ) {}

  /**
   * Submits the request and waits until a verifier has opened (tokenized, admitted) it. A
   * client that leaves meanwhile (`signal`) has its request withdrawn.
   */
  async open(
    order: CompletionOrder,
    signal: AbortSignal,
    id = newSessionId("cmpl"),
    source: RequestSource = anonymousSource(),
  ): Promise<OpenCompletion> {
    const reader = await SessionReader.open(this.bus, id, this.log);
    const canceller = new SessionCanceller(id, this.bus);
    const onAbort = () => {
      reader.close();
      canceller.cancel();
    };
    signal.addEventListener("abort", onAbort);
    try {
      let reply;
      try {
        reply = await submitToScheduler(this.bus, {
          sessionId: id,
          model: order.model,
          prompt: order.prompt,
          maxTokens: order.maxTokens,
          window: null,
          sampling: order.sampling,
          priority: order.priority,
          submittedAt: Date.now(),
          origin: source.origin,
          tokenEvents: tokenEventsFor(order),
        });
      } catch (err) {
        // The scheduler refused the request, or it could not be sent at all: the client learns why.
        if (err instanceof PeerError || err instanceof PayloadTooLargeError)
          throw fromFleetError(err.code, err.message);
        this.log.error({ err: String(err) }, "scheduler did not answer");
        throw new HttpApiError(
          503,
          "the scheduler is not answering; try again shortly",
          "service_unavailable",
          "scheduler_unavailable",
        );
      }
      if (!reply.ok) {
        canceller.finished();
        throw fromFleetError(reply.error.code, reply.error.message, reply.error.retryAfterSeconds);
      }
      // A request waits for its start as long as the scheduler may keep it queued (it then says
      // so itself, 503 queue_timeout), not only the idle timeout meant for a stalled stream; one
      // placed at once may be queued again (its verifier busy), so the scheduler says it for both.
      const startWithin = Math.max(this.config.GATEWAY_IDLE_TIMEOUT_MS, (reply.startWithinMs ?? 0) + START_MARGIN_MS);
      let first = await nextEvent(reader, startWithin);
      // The scheduler names the owner before it opens (maybe more than one, when one was busy).
      while (first?.kind === "owner") first = await nextEvent(reader, startWithin);
      if (signal.aborted) throw clientClosed();
      // The scheduler's answer did not come (it restarted, or a requeue started its wait again):
      // the client learns the same thing, and the request is withdrawn (onAbort below).
      if (!first)
        throw fromFleetError(
          "queue_timeout",
          `the request was not started within ${Math.ceil(startWithin / 1000)} s; retry later`,
        );
      if (first.kind === "error") {
        canceller.finished();
        throw fromFleetError(first.error.code, first.error.message, first.error.retryAfterSeconds);
      }
      if (first.kind !== "opened")
        throw new HttpApiError(500, `unexpected first session event '${first.kind}'`, "server_error");
      this.log.info(
        {
          sessionId: id,
          model: order.model,
          promptTokens: first.promptTokens,
          verifierId: first.verifierId,
          drafterId: first.drafterId,
          queued: reply.queued,
        },
        "completion started",
      );
      return new OpenCompletion(
        id,
        Math.floor(Date.now() / 1000),
        first.promptTokens,
        first.verifierId,
        reader,
        canceller,
        this.config.GATEWAY_IDLE_TIMEOUT_MS,
        this.bus,
        this.config.GATEWAY_REPLAY_AFTER_MS,
        order.stop,
        new CompletionMeter(this.meters.metrics, order.model, source.arrivedAt, first.promptTokens),
      );
    } catch (err) {
      onAbort();
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * Reads an opened completion to its end with `read`; aborting `signal` (a client gone, a job
 * cancelled) stops the session wherever it is.
 */
export async function readToEnd<T>(
  completion: OpenCompletion,
  signal: AbortSignal,
  read: (completion: OpenCompletion) => Promise<T>,
): Promise<T> {
  const onAbort = () => completion.cancel();
  signal.addEventListener("abort", onAbort);
  if (signal.aborted) completion.cancel();
  try {
    return await read(completion);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** A fresh session id for an interactive request (a job's requests name theirs: one per attempt). */
export function newSessionId(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/-/g, "")}`;
}

/** Beyond the scheduler's own deadline for a queued request: its queue_timeout answer in flight. */
const START_MARGIN_MS = 5000;

/** The reader's next event; a reader closed because its client left ends the request (499). */
async function nextEvent(reader: SessionReader, idleMs: number): Promise<SessionEvent | null> {
  try {
    return await reader.next(idleMs);
  } catch (err) {
    if (err instanceof SessionReaderClosedError) throw clientClosed();
    throw err;
  }
}

/**
 * A client waiting for the whole answer takes its tokens in fewer, larger events (the verifier
 * journals and publishes less often). Stop sequences are looked for in the text as it comes, and
 * end the session as soon as one appears: those requests take every round's tokens.
 */
export function tokenEventsFor(order: Pick<CompletionOrder, "streamed" | "stop">): TokenEvents {
  return order.streamed || order.stop.length > 0 ? "each-round" : "batched";
}
