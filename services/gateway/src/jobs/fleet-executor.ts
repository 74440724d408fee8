import type { GatewayConfig } from "#config";
import { parseChatRequest } from "../chat/chat-request.js";
import type { ChatCompletions } from "../chat/chat-completions.js";
import { parseCompletionRequest } from "../completions/completion-request.js";
import type { TextCompletions } from "../completions/text-completions.js";
import type { JobRequest } from "./job.js";
import type { ExecuteOptions, ExecutedRequest, RequestExecutor } from "./request-executor.js";

/**
 * A job's request run the way its endpoint runs it on its own (the same parsing, the same
 * fleet path, the same response body), under the job's session id and priority.
 */
export class FleetRequestExecutor implements RequestExecutor {
  constructor(
    private readonly config: GatewayConfig,
    private readonly text: TextCompletions,
    private readonly chat: ChatCompletions,
  ) {}

  async run(request: JobRequest, { sessionId, priority, origin, signal }: ExecuteOptions): Promise<ExecutedRequest> {
    const { body } = request;
    // A job's request arrives when its attempt starts: its TTFT and latency are the fleet's, not the job's wait.
    const source = { arrivedAt: performance.now(), origin };
    if (request.endpoint === "/v1/chat/completions") {
      const parsed = parseChatRequest(body, {
        maxTokens: this.config.GATEWAY_MAX_TOKENS,
        defaultMaxTokens: this.config.GATEWAY_MAX_TOKENS,
        maxPromptChars: this.config.GATEWAY_MAX_PROMPT_CHARS,
      });
      const response = await this.chat.run({ ...parsed, priority }, signal, sessionId, source);
      return { response: { ...response }, usage: usageOf(response.usage) };
    }
    const parsed = parseCompletionRequest(body, this.config.GATEWAY_MAX_TOKENS, this.config.GATEWAY_MAX_PROMPT_CHARS);
    const response = await this.text.run({ ...parsed, priority }, signal, sessionId, source);
    return { response: { ...response }, usage: usageOf(response.usage) };
  }
}

function usageOf(usage: { prompt_tokens: number; completion_tokens: number }) {
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}
