import { LlamaCompletion, type Token } from "node-llama-cpp";
import { createLlama, loadModel, tokenizePrompt } from "#llama";

export interface ReferenceCompletion {
  tokens: number[];
  text: string;
  finishReason: "stop" | "length";
}

/**
 * The target model decoding alone, through node-llama-cpp's own LlamaCompletion at
 * temperature 0: what every speculative answer must equal, token for token.
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
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const tokens: number[] = [];
      const { metadata } = await completion.generateCompletionWithMeta(prompt, {
        maxTokens,
        temperature: 0,
        onToken: (chunk) => tokens.push(...chunk),
      });
      // The completion's text as it reads after the prompt (LlamaCompletion's own `response`
      // detokenizes without the prompt and drops a SentencePiece word's leading space).
      const text = model.detokenize(tokens as Token[], false, tokenizePrompt(model, prompt) as Token[]);
      results.set(prompt, { tokens, text, finishReason: metadata.stopReason === "maxTokens" ? "length" : "stop" });
      completion.dispose();
      void sequence.dispose();
      while (context.sequencesLeft === 0) await new Promise((r) => setTimeout(r, 5));
    }
    return results;
  } finally {
    await llama.dispose();
  }
}
