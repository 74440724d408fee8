import type { Token } from "node-llama-cpp";
import { completionText, createLlama, loadModel, tokenizePrompt } from "#llama";

export interface ReferenceCompletion {
  tokens: number[];
  text: string;
  finishReason: "stop" | "length";
}

/**
 * The target model decoding alone, through node-llama-cpp's own evaluation loop at temperature
 * 0: what every speculative answer must equal, token for token. The prompt is tokenized as the
 * fleet tokenizes it (as llama.cpp's llama-server does: `tokenizePrompt`), and generation stops at
 * an end-of-generation token or after `maxTokens`.
 */
export async function referenceCompletions(
  modelPath: string,
  prompts: readonly string[],
  maxTokens: number,
): Promise<Map<string, ReferenceCompletion>> {
  const llama = await createLlama(1);
  try {
    const { model } = await loadModel(llama, modelPath);
    const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 1 });
    const results = new Map<string, ReferenceCompletion>();
    for (const prompt of prompts) {
      const sequence = context.getSequence();
      const promptTokens = tokenizePrompt(model, prompt);
      const tokens: number[] = [];
      let finishReason: ReferenceCompletion["finishReason"] = "length";
      for await (const token of sequence.evaluate(promptTokens as Token[], { temperature: 0 })) {
        if (model.isEogToken(token)) {
          finishReason = "stop";
          break;
        }
        tokens.push(token);
        if (tokens.length >= maxTokens) break;
      }
      // The completion's text as it reads after the prompt (a SentencePiece word's leading space kept).
      const text = completionText(model, tokens, promptTokens);
      results.set(prompt, { tokens, text, finishReason });
      void sequence.dispose();
      while (context.sequencesLeft === 0) await new Promise((r) => setTimeout(r, 5));
    }
    return results;
  } finally {
    await llama.dispose();
  }
}
