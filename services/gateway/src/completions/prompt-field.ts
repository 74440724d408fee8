import { z } from "zod";
import { MAX_PROMPT_JSON_BYTES, MAX_PROMPT_TOKENS, promptFitsMessage, promptJsonBytes, type Prompt } from "#contracts";

/** llama.cpp's token ids are 32-bit signed integers. */
const MAX_TOKEN_ID = 2 ** 31 - 1;

/**
 * `prompt` as OpenAI's completions API takes it: a string, a list of one string, a list of token
 * ids, or a list of one list of token ids. Text goes through the fleet as text (the verifier
 * tokenizes it as llama-server does); ids go as `{ tokens }`, checked against the vocabulary by
 * the verifier, which alone knows it. Several prompts in one request are not supported.
 */
export function promptFieldSchema(maxPromptChars: number) {
  return z
    .unknown()
    .meta({
      description:
        "A string, a list of one string, a list of token ids, or a list of one list of token ids. Text is tokenized as llama.cpp's llama-server tokenizes it; ids are used as given and must be in the model's vocabulary.",
      example: "Once upon a time",
    })
    .transform((value, ctx): Prompt => {
      const prompt = promptOf(value);
      const problem = typeof prompt === "string" ? promptSizeProblem(prompt, maxPromptChars) : prompt.problem;
      if (problem === null) return typeof prompt === "string" ? prompt : { tokens: prompt.tokens! };
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    });
}

type Parsed = string | { tokens: number[]; problem: null } | { tokens?: undefined; problem: string };

function promptOf(value: unknown): Parsed {
  if (value === undefined || value === null) return { problem: "`prompt` is required" };
  if (typeof value === "string") return value;
  if (!Array.isArray(value))
    return { problem: "`prompt` must be a string, a list of one string, or a list of token ids" };
  if (value.length === 0) return { problem: "`prompt` must not be an empty list" };
  if (value.length === 1 && typeof value[0] === "string") return value[0];
  if (value.every((item) => typeof item === "number")) return tokensOf(value as number[]);
  if (value.length === 1 && Array.isArray(value[0])) return tokensOf(value[0] as unknown[]);
  if (value.every((item) => typeof item === "string" || Array.isArray(item)))
    return {
      problem: "only one prompt per request is supported (a string, a list of one string, or one list of token ids)",
    };
  return { problem: "`prompt` must be a string, or a list of token ids (integers) without strings among them" };
}

function tokensOf(ids: readonly unknown[]): Parsed {
  if (ids.length === 0) return { problem: "`prompt` must not be an empty list of token ids" };
  if (ids.length > MAX_PROMPT_TOKENS)
    return { problem: `the prompt has ${ids.length} token ids, more than the ${MAX_PROMPT_TOKENS} allowed` };
  const bad = ids.findIndex((id) => typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID);
  if (bad >= 0)
    return {
      problem: `prompt token ids must be integers from 0 to ${MAX_TOKEN_ID}; item ${bad} is ${JSON.stringify(ids[bad]) ?? String(ids[bad])}`,
    };
  const tokens = ids as number[];
  if (!promptFitsMessage({ tokens }))
    return {
      problem: `the prompt's token ids take ${promptJsonBytes({ tokens })} bytes once encoded as JSON, more than the ${MAX_PROMPT_JSON_BYTES} the fleet's messages carry`,
    };
  return { tokens: [...tokens], problem: null };
}

/** Why a prompt is too large for this gateway, or for the messages that carry it through the fleet; null if neither. */
function promptSizeProblem(prompt: string, maxPromptChars: number): string | null {
  if (prompt.length > maxPromptChars) return `the prompt is longer than ${maxPromptChars} characters`;
  if (promptFitsMessage(prompt)) return null;
  return `the prompt takes ${promptJsonBytes(prompt)} bytes once encoded as JSON, more than the ${MAX_PROMPT_JSON_BYTES} the fleet's messages carry (a control character takes 6 bytes)`;
}
