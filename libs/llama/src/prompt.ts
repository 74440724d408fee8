import type { LlamaModel } from "node-llama-cpp";
import type { Prompt } from "#contracts";
import type { LoadedModel } from "./runtime.js";
import { chatPromptTokens } from "./chat-prompt.js";

/**
 * A text prompt's tokens exactly as llama.cpp's llama-server makes them for /completion:
 * `common_tokenize(vocab, text, add_special = true, parse_special = true)` (tools/server,
 * `tokenize_input_prompts`). So special-token text such as "<s>" becomes that special token,
 * the model's tokenizer decides the leading-space marker (SentencePiece prefixes a space to the
 * text's first word, and to any text after a special token), and the beginning and end tokens
 * come from the vocabulary's own add_bos / add_eos flags.
 *
 * node-llama-cpp's `tokenize(text, true)` is `common_tokenize(vocab, text, false, true)`, so the
 * special tokens that add_special would add are added here, per vocabulary type, as
 * llama_vocab::impl::tokenize does (src/llama-vocab.cpp). Every place that turns prompt text into
 * tokens (verifier, reference decoders, benches) calls this, never `model.tokenize` directly.
 */
export function tokenizePrompt(model: LlamaModel, text: string): number[] {
  const body = model.tokenize(text, true) as number[];
  const { bos, eos, sep, shouldPrependBosToken, shouldAppendEosToken } = model.tokens;
  switch (String(model.vocabularyType)) {
    case "spm":
    case "bpe":
    case "ugm":
      return [
        ...(shouldPrependBosToken && bos != null ? [bos as number] : []),
        ...body,
        ...(shouldAppendEosToken && eos != null ? [eos as number] : []),
      ];
    case "wpm":
      // BERT: [CLS] text [SEP] whenever special tokens are added (llama.cpp's BOS is CLS).
      return [...(bos != null ? [bos as number] : []), ...body, ...(sep != null ? [sep as number] : [])];
    default:
      // RWKV, PLaMo-2 and vocabularies without a tokenizer add nothing.
      return body;
  }
}

/** A prompt the model cannot decode: a token id outside its vocabulary. */
export class InvalidPromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidPromptError";
  }
}

/**
 * What a prompt is, as tokens of `loaded`'s vocabulary: text is tokenized as llama-server does;
 * token ids are taken as given (no beginning token added: llama-server and OpenAI do not add one
 * either), once each is known to be in the vocabulary. The one place a prompt becomes tokens.
 */
export function promptTokensOf(loaded: LoadedModel, prompt: Prompt): number[] {
  if (typeof prompt === "string") return tokenizePrompt(loaded.model, prompt);
  if ("messages" in prompt) return chatPromptTokens(loaded.model, prompt.messages);
  const size = loaded.vocabularySize;
  const outside = prompt.tokens.findIndex((token) => token >= size);
  if (outside >= 0)
    throw new InvalidPromptError(
      `prompt token ${prompt.tokens[outside]} (at index ${outside}) is outside the vocabulary of ${loaded.name}: its ids are 0 to ${size - 1}`,
    );
  return [...prompt.tokens];
}
