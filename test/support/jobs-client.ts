/** A small client of SpecFleet's native jobs API for tests: submit, poll, results, events. */

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export type JobBody = Record<string, unknown> & {
  id: string;
  status: string;
  progress: { total: number; done: number; succeeded: number; failed: number; completion_tokens: number };
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  errors?: Array<{
    index: number;
    custom_id: string | null;
    error: { status: number; code: string | null; message: string };
  }>;
  results?: ResultLine[];
};

export interface ResultLine {
  index: number;
  custom_id: string | null;
  status: "succeeded" | "failed";
  response: Record<string, unknown> & {
    choices: Array<{ text?: string; message?: { content: string }; finish_reason: string; token_ids?: number[] }>;
    usage: { prompt_tokens: number; completion_tokens: number };
  };
  error: { status: number; code: string | null; message: string } | null;
}

export async function api<T = Record<string, unknown>>(
  gatewayUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSONL or SSE: the caller reads the text.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Polls the job until it has finished (or `timeoutMs` passed: then throws with its last state). */
export async function waitForJob(gatewayUrl: string, id: string, timeoutMs = 300_000, headers = {}): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api<JobBody>(gatewayUrl, "GET", `/v1/jobs/${id}`, undefined, headers);
    if (status !== 200) throw new Error(`GET /v1/jobs/${id}: ${status} ${JSON.stringify(body)}`);
    if (["succeeded", "failed", "cancelled"].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished in time: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** `GET /v1/jobs/{id}/results`, parsed line by line. */
export async function jobResults(gatewayUrl: string, id: string, headers = {}): Promise<ResultLine[]> {
  const response = await fetch(`${gatewayUrl}/v1/jobs/${id}/results`, { headers });
  if (response.status !== 200) throw new Error(`results: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ResultLine);
}

/** Server-sent events of a job until `done` (or the stream ends). */
export async function jobEvents(
  gatewayUrl: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<Array<{ id: string | null; event: string; data: Record<string, unknown> }>> {
  const response = await fetch(`${gatewayUrl}/v1/jobs/${id}/events`, { headers });
  const events: Array<{ id: string | null; event: string; data: Record<string, unknown> }> = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of response.body ?? []) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true });
    const blocks = buffered.split("\n\n");
    buffered = blocks.pop() ?? "";
    for (const block of blocks) {
      const fields = new Map<string, string>();
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const at = line.indexOf(": ");
        if (at > 0) fields.set(line.slice(0, at), line.slice(at + 2));
      }
      if (!fields.has("event")) continue;
      events.push({
        id: fields.get("id") ?? null,
        event: fields.get("event")!,
        data: JSON.parse(fields.get("data") ?? "null") as Record<string, unknown>,
      });
      if (fields.get("event") === "done") return events;
    }
  }
  return events;
}
