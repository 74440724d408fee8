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

export async function complete(gatewayUrl: string, request: Record<string, unknown>): Promise<CompletionResult> {
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

async function readStream(response: Response, onChunk?: (result: CompletionResult) => void): Promise<CompletionResult> {
  const result: CompletionResult = {
    status: response.status,
    text: "",
    tokenIds: [],
    finishReason: null,
    usage: null,
    chunks: 0,
    done: false,
    body: "",
  };
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of response.body ?? []) {
    const text = decoder.decode(bytes as Uint8Array, { stream: true });
    result.body += text;
    buffered += text;
    const events = buffered.split("\n\n");
    buffered = events.pop() ?? "";
    for (const event of events) {
      readEvent(result, event);
      onChunk?.(result);
    }
  }
  readEvent(result, buffered);
  return result;
}

function readEvent(result: CompletionResult, event: string): void {
  const line = event.trim();
  if (!line) return;
  if (!line.startsWith("data: ")) throw new Error(`not an SSE data line: ${line}`);
  const data = line.slice("data: ".length);
  if (data === "[DONE]") {
    result.done = true;
    return;
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

/** A streamed completion read as it arrives: `onChunk` sees the result so far after every chunk. */
export async function streamCompletion(
  gatewayUrl: string,
  request: Record<string, unknown>,
  onChunk: (soFar: CompletionResult) => void,
): Promise<CompletionResult> {
  const response = await fetch(`${gatewayUrl}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ return_token_ids: true, temperature: 0, ...request, stream: true }),
  });
  if (response.status !== 200) throw new Error(`completion failed: ${response.status} ${await response.text()}`);
  return readStream(response, onChunk);
}

export async function postRaw(gatewayUrl: string, body: string, contentType = "application/json") {
  const response = await fetch(`${gatewayUrl}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": contentType },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      error?: { message: string; type: string; code: string | null; param: string | null };
    },
  };
}
