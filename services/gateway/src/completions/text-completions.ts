import { Injectable } from "@nestjs/common";
import { samplingOf, type CompletionRequest } from "./completion-request.js";
import { CompletionService, newSessionId, readToEnd, type OpenCompletion } from "./completion.service.js";
import { collect, textCompletionBody, type TextCompletionBody } from "./completion-body.js";
import type { RequestSource } from "./request-source.js";

/**
 * `/v1/completions` requests on the fleet, apart from HTTP: open one (to stream it), or run one
 * to its end and get the response body (the controller, and background jobs, call this).
 */
@Injectable()
export class TextCompletions {
  constructor(private readonly completions: CompletionService) {}

  open(
    request: CompletionRequest,
    signal: AbortSignal,
    sessionId = newSessionId("cmpl"),
    source?: RequestSource,
  ): Promise<OpenCompletion> {
    return this.completions.open(
      {
        model: request.model,
        prompt: request.prompt,
        maxTokens: request.max_tokens,
        sampling: samplingOf(request),
        priority: request.priority,
        stop: request.stop,
        streamed: request.stream,
      },
      signal,
      sessionId,
      source,
    );
  }

  /** Runs the request to its end: the whole `text_completion` body. */
  async run(
    request: CompletionRequest,
    signal: AbortSignal = new AbortController().signal,
    sessionId?: string,
    source?: RequestSource,
  ): Promise<TextCompletionBody> {
    const completion = await this.open(request, signal, sessionId, source);
    return readToEnd(completion, signal, async (opened) => textCompletionBody(request, opened, await collect(opened)));
  }
}
