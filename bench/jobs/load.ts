/** The two ways of sending the same requests, and interactive time to first token, through a gateway. */

export interface CompletionSpec {
  prompt: string;
  max_tokens: number;
  temperature: number;
}

export interface Throughput {
  seconds: number;
  tokens: number;
  texts: string[];
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

/** The requests as `/v1/completions`, `concurrency` at a time (a closed loop: each client sends its next when answered). */
export async function asCompletions(
  gateway: string,
  model: string,
  specs: CompletionSpec[],
  concurrency: number,
): Promise<Throughput> {
  const texts: string[] = new Array<string>(specs.length);
  let tokens = 0;
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < specs.length) {
      const i = next++;
      const response = await post(`${gateway}/v1/completions`, { model, ...specs[i] });
      const body = (await response.json()) as {
        choices: Array<{ text: string }>;
        usage: { completion_tokens: number };
      };
      if (response.status !== 200) throw new Error(`completion ${i}: ${response.status} ${JSON.stringify(body)}`);
      texts[i] = body.choices[0]!.text;
      tokens += body.usage.completion_tokens;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { seconds: (performance.now() - started) / 1000, tokens, texts };
}

interface JobView {
  id: string;
  status: string;
  progress: { done: number; total: number };
  usage: { completion_tokens: number };
}

/** The requests as one job, from `POST /v1/jobs` until it has finished and its results are read. */
export async function asJob(
  gateway: string,
  model: string,
  specs: CompletionSpec[],
  onProgress?: (done: number, total: number) => void,
): Promise<Throughput> {
  const started = performance.now();
  const submitted = await post(`${gateway}/v1/jobs`, { model, requests: specs });
  const job = (await submitted.json()) as JobView;
  if (submitted.status !== 202) throw new Error(`job: ${submitted.status} ${JSON.stringify(job)}`);
  let state = job;
  while (!["succeeded", "failed", "cancelled"].includes(state.status)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = (await (await fetch(`${gateway}/v1/jobs/${job.id}`)).json()) as JobView;
    onProgress?.(state.progress.done, state.progress.total);
  }
  const lines = (await (await fetch(`${gateway}/v1/jobs/${job.id}/results`)).text()).split("\n").filter(Boolean);
  const seconds = (performance.now() - started) / 1000;
  if (state.status !== "succeeded" || lines.length !== specs.length)
    throw new Error(`job ended ${state.status}: ${JSON.stringify(state)}`);
  const texts = lines.map(
    (line) => (JSON.parse(line) as { response: { choices: Array<{ text: string }> } }).response.choices[0]!.text,
  );
  return { seconds, tokens: state.usage.completion_tokens, texts };
}

/** Submits a job and returns its id, to run in the background. */
export async function startJob(gateway: string, model: string, specs: CompletionSpec[]): Promise<string> {
  const submitted = await post(`${gateway}/v1/jobs`, { model, requests: specs });
  const job = (await submitted.json()) as JobView;
  if (submitted.status !== 202) throw new Error(`job: ${submitted.status} ${JSON.stringify(job)}`);
  return job.id;
}

export async function cancelJob(gateway: string, id: string): Promise<void> {
  await fetch(`${gateway}/v1/jobs/${id}/cancel`, { method: "POST" });
}

/** Milliseconds to the first token of streamed interactive requests sent one after another. */
export async function timesToFirstToken(gateway: string, model: string, specs: CompletionSpec[]): Promise<number[]> {
  const times: number[] = [];
  for (const spec of specs) {
    const started = performance.now();
    const response = await post(`${gateway}/v1/completions`, { model, ...spec, stream: true });
    if (response.status !== 200) throw new Error(`streamed completion: ${response.status} ${await response.text()}`);
    let first: number | null = null;
    const decoder = new TextDecoder();
    for await (const bytes of response.body ?? []) {
      if (first === null && /"text":"[^"]/.test(decoder.decode(bytes as Uint8Array, { stream: true })))
        first = performance.now() - started;
    }
    if (first !== null) times.push(first);
  }
  return times;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
