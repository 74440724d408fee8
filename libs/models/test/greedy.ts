import { LlamaCompletion, type Llama } from "node-llama-cpp";
import { loadModel } from "#llama";

export interface GreedyRun {
  vocabFingerprint: string;
  vocabularySize: number;
  typeDescription: string;
  embeddingSize: number;
  /** The generated token ids, one list per prompt. */
  tokens: number[][];
}

/**
 * Greedy decoding (temperature 0) of each prompt through node-llama-cpp's LlamaCompletion on a
 * fresh sequence, the token ids collected with onToken. The model is disposed afterwards.
 */
export async function greedyTokens(
  llama: Llama,
  modelPath: string,
  prompts: readonly string[],
  maxTokens: number,
): Promise<GreedyRun> {
  const loaded = await loadModel(llama, modelPath);
  try {
    const context = await loaded.model.createContext({ contextSize: 256, threads: 1, sequences: 1 });
    try {
      const tokens: number[][] = [];
      for (const prompt of prompts) {
        const sequence = context.getSequence();
        const completion = new LlamaCompletion({ contextSequence: sequence });
        const ids: number[] = [];
        await completion.generateCompletion(prompt, {
          maxTokens,
          temperature: 0,
          onToken: (chunk) => ids.push(...chunk),
        });
        tokens.push(ids);
        completion.dispose();
        await sequence.dispose();
        while (context.sequencesLeft === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return {
        vocabFingerprint: loaded.vocabFingerprint,
        vocabularySize: loaded.vocabularySize,
        typeDescription: loaded.model.typeDescription,
        embeddingSize: loaded.model.embeddingVectorSize,
        tokens,
      };
    } finally {
      await context.dispose();
    }
  } finally {
    await loaded.model.dispose();
  }
}

/** How many leading items two lists share. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
