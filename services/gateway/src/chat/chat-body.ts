import { collect } from "../completions/completion-body.js";
import type { OpenCompletion } from "../completions/completion.service.js";
import { usageOf, type Usage } from "../completions/completion-body.js";
import type { ChatRequest } from "./chat-request.js";

/** A whole `chat.completion`, as `POST /v1/chat/completions` answers it. */
export interface ChatCompletionBody {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: null;
    finish_reason: "stop" | "length";
  }[];
  usage: Usage;
}

/** Reads the chat's completion to its end: the whole `chat.completion` body. */
export async function chatCompletionBody(
  request: ChatRequest,
  completion: OpenCompletion,
): Promise<ChatCompletionBody> {
  const { text, end } = await collect(completion);
  return {
    id: completion.id,
    object: "chat.completion",
    created: completion.created,
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: end.finishReason,
      },
    ],
    usage: usageOf(completion.promptTokens, end.completionTokens),
  };
}

/**
 * The streamed `chat.completion.chunk`s, as OpenAI sends them: the role first (empty content),
 * a chunk per piece of text, the finish reason in a chunk with an empty delta, then (with
 * `stream_options.include_usage`) a chunk with the usage and no choices; the others then carry
 * `usage: null`.
 */
export async function* chatCompletionChunks(request: ChatRequest, completion: OpenCompletion) {
  const chunk = (delta: { role?: "assistant"; content?: string }, finishReason: string | null) => ({
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: request.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(request.includeUsage ? { usage: null } : {}),
  });
  yield chunk({ role: "assistant", content: "" }, null);
  for await (const piece of completion.pieces()) {
    if (piece.text) yield chunk({ content: piece.text }, null);
    if (piece.kind === "end") {
      yield chunk({}, piece.finishReason);
      if (request.includeUsage)
        yield { ...chunk({}, null), choices: [], usage: usageOf(completion.promptTokens, piece.completionTokens) };
    }
  }
}
