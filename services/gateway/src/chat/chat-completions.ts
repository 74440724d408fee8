import { Injectable } from "@nestjs/common";
import { samplingOf } from "../completions/completion-request.js";
import { CompletionService, newSessionId, readToEnd, type OpenCompletion } from "../completions/completion.service.js";
import { chatCompletionBody, type ChatCompletionBody } from "./chat-body.js";
import type { ChatRequest } from "./chat-request.js";
import type { RequestSource } from "../completions/request-source.js";

/**
 * Chat requests on the fleet, apart from HTTP: the messages travel as the prompt and the
 * verifier renders them with its model's chat template. Open one (to stream it), or run one to
 * its end and get the response body (the controller, and background jobs, call this).
 */
@Injectable()
export class ChatCompletions {
  constructor(private readonly completions: CompletionService) {}

  open(
    request: ChatRequest,
    signal: AbortSignal,
    sessionId = newSessionId("chatcmpl"),
    source?: RequestSource,
  ): Promise<OpenCompletion> {
    return this.completions.open(
      {
        model: request.model,
        prompt: { messages: request.messages },
        maxTokens: request.maxTokens,
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

  /** Runs the request to its end: the whole `chat.completion` body. */
  async run(
    request: ChatRequest,
    signal: AbortSignal = new AbortController().signal,
    sessionId?: string,
    source?: RequestSource,
  ): Promise<ChatCompletionBody> {
    const completion = await this.open(request, signal, sessionId, source);
    return readToEnd(completion, signal, (opened) => chatCompletionBody(request, opened));
  }
}
