import type { LlamaModel, Token } from "node-llama-cpp";

/** Tokens of the prompt looked at to render the completion's first word (node-llama-cpp's own is 3). */
const CONTEXT_TOKENS = 8;

/**
 * The text of `tokens` as it reads after `before` (the prompt and what came earlier), as
 * llama-server's text concatenates the tokens' pieces: a SentencePiece word's leading space
 * kept. node-llama-cpp's `detokenize(tokens, false, before)` renders `tokens` alone when `before`
 * renders as "" (a prompt of only the beginning token), and llama.cpp's detokenizer then drops
 * the first word's leading space; rendered after those (textless) tokens, it keeps it.
 */
export function completionText(model: LlamaModel, tokens: readonly number[], before: readonly number[]): string {
  const context = before.slice(-CONTEXT_TOKENS) as Token[];
  if (tokens.length === 0 || context.length === 0 || model.detokenize(context, false) !== "")
    return model.detokenize(tokens as Token[], false, before as Token[]);
  return model.detokenize([...context, ...(tokens as Token[])], false);
}
