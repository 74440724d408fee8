import type { CompletionUsage } from "./request-admission.js";

/** OpenAI's usage object, as the last chunk of a stream carries it. */
interface UsageChunk {
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

/**
 * A streamed completion's chunks passed through, its usage chunk reported to `onUsage`; that
 * chunk is dropped unless the client asked for it (`stream_options.include_usage`). Ask the
 * stream for it always (`withUsageChunk`) so that every stream's usage is known.
 */
export async function* meteredChunks<T>(
  chunks: AsyncIterable<T>,
  clientAskedUsage: boolean,
  onUsage: (usage: CompletionUsage) => void,
): AsyncGenerator<T> {
  for await (const chunk of chunks) {
    const usage = (chunk as UsageChunk | null)?.usage;
    if (usage) {
      onUsage({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });
      if (!clientAskedUsage) continue;
    }
    if (!clientAskedUsage && usage === null) {
      // A stream asked for usage gives the other chunks `usage: null`; a client that did not ask sees none.
      const { usage: _none, ...rest } = chunk as UsageChunk;
      yield rest as T;
    } else yield chunk;
  }
}

/** The request with `stream_options.include_usage` on, so that its stream ends with its usage. */
export function withUsageChunk<R extends { stream_options?: { include_usage?: boolean } | null }>(request: R): R {
  return { ...request, stream_options: { ...request.stream_options, include_usage: true } };
}
