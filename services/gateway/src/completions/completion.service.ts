import { randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import { SchedulerCancel, SchedulerSubmit, SessionReplay, type SessionEvent } from "#contracts";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { PayloadTooLargeError, PeerError, type ContractBus } from "#transport";
import { samplingOf, type CompletionRequest } from "./completion-request.js";
import { clientClosed, fromFleetError, fromSessionEnd, HttpApiError } from "../http/openai-error.js";
import { SessionReader, SessionReaderClosedError } from "./session-reader.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WORKER_BUS } from "../tokens.js";

export type CompletionPiece =
  | { kind: "delta"; text: string; tokens: number[] }
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
  ) {}

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
        if (piece) yield piece;
        if (piece?.kind === "end") return;
      }
    } finally {
      this.cancel();
    }
  }

  /** What an event means for the client: a piece, nothing (opened), or an error thrown. */
  private pieceOf(event: SessionEvent): CompletionPiece | null {
    switch (event.kind) {
      case "opened":
        // Another verifier took the session over (the first died or was drained).
        this.verifierId = event.verifierId;
        return null;
      case "tokens":
        return { kind: "delta", text: event.text, tokens: event.tokens };
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
  ) {}

  /**
   * Submits the request and waits until a verifier has opened (tokenized, admitted) it. A
   * client that leaves meanwhile (`signal`) has its request withdrawn.
   */
  async open(request: CompletionRequest, signal: AbortSignal): Promise<OpenCompletion> {
    const id = `cmpl-${randomUUID().replace(/-/g, "")}`;
    const sampling = samplingOf(request);
    const reader = await SessionReader.open(this.bus, id);
    const canceller = new SessionCanceller(id, this.bus);
    const onAbort = () => {
      reader.close();
      canceller.cancel();
    };
    signal.addEventListener("abort", onAbort);
    try {
      let reply;
      try {
        reply = await this.bus.request(
          SchedulerSubmit,
          "",
          {
            sessionId: id,
            model: request.model,
            prompt: request.prompt,
            maxTokens: request.max_tokens,
            window: null,
            sampling,
            priority: request.priority,
            submittedAt: Date.now(),
          },
          5000,
        );
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
      // A queued request waits as long as the scheduler may keep it queued (it then says so
      // itself, 503 queue_timeout), not only the idle timeout meant for a stalled stream.
      const startWithin = Math.max(this.config.GATEWAY_IDLE_TIMEOUT_MS, (reply.startWithinMs ?? 0) + START_MARGIN_MS);
      const first = await nextEvent(reader, startWithin);
      if (signal.aborted) throw clientClosed();
      if (!first) throw new HttpApiError(504, "the request was not started in time", "server_error", "timeout");
      if (first.kind === "error") {
        canceller.finished();
        throw fromFleetError(first.error.code, first.error.message, first.error.retryAfterSeconds);
      }
      if (first.kind !== "opened")
        throw new HttpApiError(500, `unexpected first session event '${first.kind}'`, "server_error");
      this.log.info(
        {
          sessionId: id,
          model: request.model,
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
      );
    } catch (err) {
      onAbort();
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
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
