/** The load bench:peer puts on a server: the same prompts through its OpenAI endpoint, N at a time. */

/** A server under test: where its OpenAI API is, and what it must be asked. */
export interface PeerEndpoint {
  /** Base URL; requests go to `${url}/v1/completions`. */
  url: string;
  model: string;
  /** Extra request fields this server takes (llama-server: no prompt cache). */
  extraBody?: Record<string, unknown>;
}

export interface LoadRun {
  /** Generated tokens over all prompts (each answer's usage.completion_tokens). */
  tokens: number;
  ms: number;
  tokensPerSecond: number;
  /** Each prompt's answer, in prompt order. */
  texts: string[];
}

/**
 * Every prompt once, `concurrency` requests in flight at a time (1: one stream, one after the
 * other), greedy; tokens per second over the wall time of the whole set.
 */
export async function runLoad(
  server: PeerEndpoint,
  prompts: readonly string[],
  maxTokens: number,
  concurrency: number,
): Promise<LoadRun> {
  const texts: string[] = new Array<string>(prompts.length).fill("");
  let tokens = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < prompts.length) {
      const index = next++;
      const answer = await completeOnce(server, prompts[index]!, maxTokens);
      texts[index] = answer.text;
      tokens += answer.tokens;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, prompts.length) }, worker));
  const ms = performance.now() - started;
  return { tokens, ms, tokensPerSecond: (1000 * tokens) / ms, texts };
}

/** Before a measurement: the models' pages, the first contexts, the drafters' window estimates (4 short requests). */
export async function warmUp(server: PeerEndpoint, prompts: readonly string[], concurrency: number): Promise<void> {
  await runLoad(server, prompts.slice(0, 4), 32, concurrency);
}

/** One greedy completion: its text and usage.completion_tokens; a refusal or a malformed answer throws. */
export async function completeOnce(
  server: PeerEndpoint,
  prompt: string,
  maxTokens: number,
): Promise<{ text: string; tokens: number }> {
  const response = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: server.model,
      prompt,
      max_tokens: maxTokens,
      temperature: 0,
      ...server.extraBody,
    }),
    signal: AbortSignal.timeout(600_000),
  }).catch((error: unknown) => {
    // Node's fetch gives up on an answer that takes over 300 s to start (UND_ERR_HEADERS_TIMEOUT).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${server.url}: ${String(error)}${cause ? ` (${cause.code ?? cause.message})` : ""}`);
  });
  const body = (await response.json()) as {
    choices?: Array<{ text?: string }>;
    usage?: { completion_tokens?: number };
  };
  const text = body.choices?.[0]?.text;
  const tokens = body.usage?.completion_tokens;
  if (response.status !== 200 || text === undefined || tokens === undefined)
    throw new Error(`${server.url}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { text, tokens };
}
