import type { Token } from "node-llama-cpp";
import type { ChatMessage } from "#contracts";
import { chatPromptTokens, completionText, createLlama, loadModel, tokenizePrompt } from "#llama";

export interface TokenReference {
  promptTokens: number[];
  tokens: number[];
  text: string;
  finishReason: "stop" | "length";
  /** The completion's text after its first k tokens, for k = 0..tokens.length. */
  prefixTexts: string[];
}

/** A prompt for the reference: text (tokenized as the fleet does) or a chat (rendered as the verifier does). */
export type ReferencePrompt = string | { messages: ChatMessage[] };

/**
 * The target model decoding alone at temperature 0 (node-llama-cpp's evaluation loop), from the
 * prompt tokens the verifier makes: what the fleet's answers must equal, token for token.
 */
export async function tokenReferences(
  modelPath: string,
  prompts: readonly ReferencePrompt[],
  maxTokens: number,
): Promise<TokenReference[]> {
  const llama = await createLlama(1);
  try {
    const { model } = await loadModel(llama, modelPath);
    const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 1 });
    const results: TokenReference[] = [];
    for (const prompt of prompts) {
      const promptTokens =
        typeof prompt === "string" ? tokenizePrompt(model, prompt) : chatPromptTokens(model, prompt.messages);
      const sequence = context.getSequence();
      const tokens: number[] = [];
      let finishReason: TokenReference["finishReason"] = "length";
      for await (const token of sequence.evaluate(promptTokens as Token[], { temperature: 0 })) {
        if (model.isEogToken(token)) {
          finishReason = "stop";
          break;
        }
        tokens.push(token);
        if (tokens.length >= maxTokens) break;
      }
      const textOf = (k: number) => completionText(model, tokens.slice(0, k), promptTokens);
      const prefixTexts = Array.from({ length: tokens.length + 1 }, (_, k) => textOf(k));
      results.push({ promptTokens, tokens, text: textOf(tokens.length), finishReason, prefixTexts });
      void sequence.dispose();
      while (context.sequencesLeft === 0) await new Promise((r) => setTimeout(r, 5));
    }
    return results;
  } finally {
    await llama.dispose();
  }
}

/**
 * What the target alone answers with `stop`: its text cut before the first stop sequence (the
 * first to complete, reading character by character), and the tokens through the one that
 * completed it; the whole answer when none occurs.
 */
export function cutAtStop(ref: TokenReference, stops: readonly string[]) {
  let best: { start: number; end: number } | null = null;
  for (const stop of stops) {
    const start = ref.text.indexOf(stop);
    if (start < 0) continue;
    const end = start + stop.length;
    if (!best || end < best.end || (end === best.end && start < best.start)) best = { start, end };
  }
  if (!best) return { text: ref.text, completionTokens: ref.tokens.length, finishReason: ref.finishReason };
  const k = ref.prefixTexts.findIndex((t) => t.length >= best.end);
  return { text: ref.text.slice(0, best.start), completionTokens: k, finishReason: "stop" as const };
}
