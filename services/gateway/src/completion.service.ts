import { randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import type { ClientProxy } from "@nestjs/microservices";
import { SchedulerSubmit, WorkerClose } from "#contracts";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { sendContract, type ContractBus } from "#transport";
import type { CompletionRequest } from "./completion-request.js";
import { fromFleetError, HttpApiError } from "./openai-error.js";
import { SessionReader } from "./session-reader.js";
import { CONTROL_PLANE, GATEWAY_CONFIG, GATEWAY_LOGGER, WORKER_BUS } from "./tokens.js";

export type CompletionPiece =
  | { kind: "delta"; text: string; tokens: number[] }
  | { kind: "end"; finishReason: "stop" | "length"; completionTokens: number; text: string };

/** A completion whose session is open on a verifier: read its pieces in order, or cancel it. */
export class OpenCompletion {
  private finished = false;

  constructor(
    readonly id: string,
    readonly created: number,
    readonly promptTokens: number,
    private readonly verifierId: string,
    private readonly reader: SessionReader,
    private readonly bus: ContractBus,
    private readonly idleMs: number,
  ) {}

  async *pieces(): AsyncGenerator<CompletionPiece> {
    try {
      for (;;) {
        const event = await this.reader.next(this.idleMs);
        if (!event) throw new HttpApiError(504, `no token from the fleet for ${this.idleMs} ms`, "server_error", "timeout");
        if (event.kind === "error") throw fromFleetError(event.error.code, event.error.message);
        if (event.kind === "tokens") yield { kind: "delta", text: event.text, tokens: event.tokens };
        if (event.kind === "end") {
          this.finished = true;
          yield { kind: "end", finishReason: event.finishReason, completionTokens: event.generatedTokens, text: event.text };
          return;
        }
      }
    } finally {
      this.reader.close();
    }
  }

  /** The client went away: free the session's verifier (and, through it, its drafter). */
  cancel(): void {
    this.reader.close();
    if (this.finished) return;
    this.bus.request(WorkerClose, this.verifierId, { sessionId: this.id, reason: "client disconnected" }, 2000).catch(() => undefined);
  }
}

@Injectable()
export class CompletionService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
    @Inject(CONTROL_PLANE) private readonly controlPlane: ClientProxy,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
  ) {}

  /** Submits the request and waits until a verifier has opened (tokenized, admitted) it. */
  async open(request: CompletionRequest): Promise<OpenCompletion> {
    const id = `cmpl-${randomUUID().replace(/-/g, "")}`;
    const reader = new SessionReader(this.bus, id);
    try {
      let reply;
      try {
        reply = await sendContract(
          this.controlPlane,
          SchedulerSubmit,
          { sessionId: id, model: request.model, prompt: request.prompt, maxTokens: request.max_tokens, window: null, submittedAt: Date.now() },
          5000,
        );
      } catch (err) {
        this.log.error({ err: String(err) }, "scheduler did not answer");
        throw new HttpApiError(503, "the scheduler is not answering; try again shortly", "service_unavailable", "scheduler_unavailable");
      }
      if (!reply.ok) throw fromFleetError(reply.error.code, reply.error.message);
      const first = await reader.next(this.config.GATEWAY_IDLE_TIMEOUT_MS);
      if (!first) throw new HttpApiError(504, "the request was not started in time", "server_error", "timeout");
      if (first.kind === "error") throw fromFleetError(first.error.code, first.error.message);
      if (first.kind !== "opened") throw new HttpApiError(500, `unexpected first session event '${first.kind}'`, "server_error");
      this.log.info({ sessionId: id, model: request.model, promptTokens: first.promptTokens, verifierId: first.verifierId, drafterId: first.drafterId, queued: reply.queued }, "completion started");
      return new OpenCompletion(id, Math.floor(Date.now() / 1000), first.promptTokens, first.verifierId, reader, this.bus, this.config.GATEWAY_IDLE_TIMEOUT_MS);
    } catch (err) {
      reader.close();
      throw err;
    }
  }
}
