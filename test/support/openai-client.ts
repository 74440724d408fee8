/** A small OpenAI-style client for tests: whole and streamed completions, raw requests. */

export interface CompletionResult {
  status: number;
  text: string;
  tokenIds: number[];
  finishReason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  /** Streamed only: number of data chunks before [DONE], and whether [DONE] came. */
  chunks: number;
  done: boolean;
  body: unknown;
}

export async function complete(
  gatewayUrl: string,
  request: Record<string, unknown>,
): Promise<CompletionResult> {
  const response = await fetch(`${gatewayUrl}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    // Greedy unless the test says otherwise (OpenAI's default temperature is 1): most tests
    // compare answers token for token with the target decoding greedily.
    body: JSON.stringify({ return_token_ids: true, temperature: 0, ...request }),
  });
  if (!request["stream"] || response.status !== 200) {
    const body = (await response.json()) as {
      choices?: Array<{ text: string; token_ids?: number[]; finish_reason: string }>;
      usage?: CompletionResult["usage"];
    };
    const choice = body.choices?.[0];
    return {
      status: response.status,
      text: choice?.text ?? "",
      tokenIds: choice?.token_ids ?? [],
      finishReason: choice?.finish_reason ?? null,
      usage: body.usage ?? null,
      chunks: 0,
      done: false,
      body,
    };
  }
  return readStream(response);
}

async function readStream(response: Response): Promise<CompletionResult> {
  const raw = await response.text();
  const result: CompletionResult = { status: response.status, text: "", tokenIds: [], finishReason: null, usage: null, chunks: 0, done: false, body: raw };
  for (const event of raw.split("\n\n")) {
    const line = event.trim();
    if (!line) continue;
    if (!line.startsWith("data: ")) throw new Error(`not an SSE data line: ${line}`);
    const data = line.slice("data: ".length);
    if (data === "[DONE]") {
      result.done = true;
      continue;
    }
    if (result.done) throw new Error("data after [DONE]");
    const chunk = JSON.parse(data) as {
      error?: unknown;
      choices: Array<{ text: string; token_ids?: number[]; finish_reason: string | null }>;
      usage?: CompletionResult["usage"];
    };
    if (chunk.error) throw new Error(`stream error: ${JSON.stringify(chunk.error)}`);
    result.chunks++;
    for (const choice of chunk.choices) {
      result.text += choice.text;
      result.tokenIds.push(...(choice.token_ids ?? []));
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

export async function postRaw(gatewayUrl: string, body: string, contentType = "application/json") {
  const response = await fetch(`${gatewayUrl}/v1/completions`, { method: "POST", headers: { "Content-Type": contentType }, body });
  return { status: response.status, body: (await response.json()) as { error?: { message: string; type: string; code: string | null; param: string | null } } };
}
