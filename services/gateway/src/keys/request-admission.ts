import { randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import type { Response } from "express";
import type { Prompt } from "#contracts";
import type { Logger } from "#logging";
import { HttpApiError } from "#http";
import { GATEWAY_LOGGER } from "../tokens.js";
import { callerOf, type Caller } from "./caller.js";
import { priorityProblem } from "./priority-bound.js";
import {
  promptTokenEstimate,
  rateLimitHeaders,
  retryAfterSeconds,
  waitMs,
  type Bucket,
} from "./rate-limit-arithmetic.js";
import { LEASE_MS, RateLimiter, type AdmissionResult } from "./rate-limiter.js";
import { UsageLedger } from "./usage-ledger.js";

export interface InteractiveRequest {
  priority: number;
  /** The prompt as the fleet takes it (text, token ids or chat messages), to estimate its tokens. */
  prompt: Prompt;
  maxTokens: number;
}

/** What a completion used, from the verifier's counts. */
export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * The gate of an interactive completion (`/v1/completions`, `/v1/chat/completions`): call
 * `admit` once the body is parsed and before any work, then `finish` on the ticket when the
 * completion ends, however it ends. `admit` refuses a `priority` outside the caller's range
 * (400) and a request over one of its key's limits (429, `Retry-After`); OpenAI's
 * `x-ratelimit-*` headers are set on the response either way. Tokens per minute reserve the
 * estimated prompt plus `max_tokens` at admission and are settled to the real usage at the end,
 * as OpenAI does.
 */
@Injectable()
export class RequestAdmission {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly ledger: UsageLedger,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
  ) {}

  async admit(req: object, res: Response, request: InteractiveRequest): Promise<AdmissionTicket> {
    const caller = callerOf(req);
    const problem = priorityProblem(caller, request.priority);
    if (problem) throw problem;
    const { keyId, limits } = caller;
    const reserved = promptTokenEstimate(request.prompt) + request.maxTokens;
    if (keyId === null || (!limits.requestsPerMinute && !limits.tokensPerMinute && !limits.concurrentRequests))
      return new AdmissionTicket(caller, null, this.limiter, this.ledger, this.log, 0);
    const leaseId = randomUUID();
    const result = await this.limiter.admit(keyId, limits, reserved, leaseId);
    res.set(rateLimitHeaders(result.requests, result.tokens));
    if (result.verdict !== "ok") throw refusal(result, reserved);
    const lease = limits.concurrentRequests ? leaseId : null;
    return new AdmissionTicket(
      caller,
      lease,
      this.limiter,
      this.ledger,
      this.log,
      limits.tokensPerMinute ? reserved : 0,
    );
  }
}

/** An admitted request: `finish` settles its tokens, frees its concurrency slot and records its usage. */
export class AdmissionTicket {
  private renewal: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    readonly caller: Caller,
    private readonly leaseId: string | null,
    private readonly limiter: RateLimiter,
    private readonly ledger: UsageLedger,
    private readonly log: Logger,
    /** Tokens reserved against a tokens-per-minute limit (0 without one). */
    private readonly reserved: number,
  ) {
    if (leaseId !== null && caller.keyId !== null) {
      const keyId = caller.keyId;
      this.renewal = setInterval(() => {
        this.limiter.renew(keyId, leaseId).catch((err: unknown) => this.failed("renew a lease", err));
      }, LEASE_MS / 3);
      this.renewal.unref();
    }
  }

  /**
   * The completion ended: with its usage when it finished, null when it failed or the client
   * left (the reservation is given back and nothing is recorded). Never throws; a second call
   * does nothing.
   */
  async finish(usage: CompletionUsage | null): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.renewal) clearInterval(this.renewal);
    const { keyId, limits } = this.caller;
    const steps: Array<Promise<unknown>> = [];
    if (keyId !== null && this.leaseId !== null) steps.push(this.limiter.release(keyId, this.leaseId));
    if (keyId !== null && this.reserved > 0 && limits.tokensPerMinute) {
      const actual = usage ? usage.promptTokens + usage.completionTokens : 0;
      steps.push(this.limiter.settle(keyId, limits.tokensPerMinute, this.reserved, actual));
    }
    if (usage) steps.push(this.ledger.record(keyId, { ...usage, requests: 1 }));
    for (const outcome of await Promise.allSettled(steps))
      if (outcome.status === "rejected") this.failed("settle a finished request", outcome.reason);
  }

  private failed(what: string, err: unknown): void {
    this.log.warn({ keyId: this.caller.keyId, err: String(err) }, `could not ${what}`);
  }
}

/** The 429 for the first limit the request is over. */
function refusal(result: AdmissionResult, reserved: number): HttpApiError {
  const over = (bucket: Bucket | null, cost: number, what: string, type: "requests" | "tokens") => {
    const wait = bucket ? waitMs(bucket, cost) : 1000;
    return new HttpApiError(
      429,
      `Rate limit reached for ${what} on this API key: limit ${bucket?.limit ?? "?"}, used ${Math.ceil(bucket?.used ?? 0)}, requested ${cost}. Please try again in ${retryAfterSeconds(wait)}s.`,
      type,
      "rate_limit_exceeded",
      null,
      retryAfterSeconds(wait),
    );
  };
  switch (result.verdict) {
    case "requests":
      return over(result.requests, 1, "requests per minute", "requests");
    case "tokens":
      return over(result.tokens, reserved, "tokens per minute", "tokens");
    case "too_large":
      return new HttpApiError(
        429,
        `Request too large for this API key's tokens per minute: limit ${result.tokens?.limit}, requested ${reserved} (the prompt's estimated tokens plus max_tokens). Ask for fewer max_tokens.`,
        "tokens",
        "rate_limit_exceeded",
        "max_tokens",
      );
    case "concurrent":
    case "ok":
      return new HttpApiError(
        429,
        `Too many concurrent requests on this API key (limit ${result.concurrent}). Please try again when one has finished.`,
        "requests",
        "rate_limit_exceeded",
        null,
        1,
      );
  }
}
