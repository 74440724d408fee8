import type { CompletionRequest } from "./completion-request.js";
import type { CompletionPiece, OpenCompletion } from "./completion.service.js";

/** OpenAI's `usage` object. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** A whole `text_completion`, as `POST /v1/completions` answers it. */
export interface TextCompletionBody {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: {
    text: string;
    index: number;
    logprobs: null;
    finish_reason: "stop" | "length";
    token_ids?: number[];
  }[];
  usage: Usage;
}

/** The text, token ids and end of a completion, read to its end. */
export interface CollectedCompletion {
  text: string;
  tokenIds: number[];
  end: Extract<CompletionPiece, { kind: "end" }>;
}

/** Reads a completion to its end (stop applied); throws what ends it otherwise. */
export async function collect(completion: OpenCompletion): Promise<CollectedCompletion> {
  let text = "";
  const tokenIds: number[] = [];
  for await (const piece of completion.pieces()) {
    text += piece.text;
    if (piece.kind === "delta") tokenIds.push(...piece.tokens);
    else return { text, tokenIds, end: piece };
  }
  // pieces() ends with an end piece or throws; this is never reached.
  throw new Error("the session ended without finishing");
}

export function textCompletionBody(
  request: CompletionRequest,
  completion: OpenCompletion,
  { text, tokenIds, end }: CollectedCompletion,
): TextCompletionBody {
  return {
    id: completion.id,
    object: "text_completion",
    created: completion.created,
    model: request.model,
    choices: [
      {
        text,
        index: 0,
        logprobs: null,
        finish_reason: end.finishReason,
        ...(request.return_token_ids ? { token_ids: tokenIds } : {}),
      },
    ],
    usage: usageOf(completion.promptTokens, end.completionTokens),
  };
}

/** The streamed chunks of a text completion: a chunk per piece, then usage if asked. */
export async function* textCompletionChunks(request: CompletionRequest, completion: OpenCompletion) {
  const chunk = (text: string, finishReason: string | null, tokens?: number[]) => ({
    id: completion.id,
    object: "text_completion",
    created: completion.created,
    model: request.model,
    choices: [
      {
        text,
        index: 0,
        logprobs: null,
        finish_reason: finishReason,
        ...(request.return_token_ids && tokens ? { token_ids: tokens } : {}),
      },
    ],
  });
  for await (const piece of completion.pieces()) {
    if (piece.kind === "delta") yield chunk(piece.text, null, piece.tokens);
    else {
      yield chunk(piece.text, piece.finishReason, []);
      if (request.stream_options?.include_usage)
        yield { ...chunk("", null), choices: [], usage: usageOf(completion.promptTokens, piece.completionTokens) };
    }
  }
}
