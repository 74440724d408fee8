import {
  applyDashboardDelta,
  applyDashboardPoint,
  dashboardDeltaSchema,
  dashboardPointSchema,
  dashboardStateSchema,
  type DashboardState,
} from "#contracts";

/** The dashboard service's feed as the CLI reads it (`GET /dashboard/api/state`, `…/stream`), with a Bearer token. */
export class DashboardClient {
  constructor(
    private readonly dashboard: string,
    private readonly token: string | undefined,
  ) {}

  async state(): Promise<DashboardState> {
    const response = await this.get("/dashboard/api/state", "application/json");
    const parsed = dashboardStateSchema.safeParse(await response.json());
    if (!parsed.success) throw new Error(`the dashboard at ${this.dashboard} answered a state this CLI does not read`);
    return parsed.data;
  }

  /**
   * Follows the stream: `onState` after the first state and after every delta or point, until
   * `signal` aborts. A dropped connection is reopened after a second (the state is re-read).
   */
  async follow(onState: (state: DashboardState) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const response = await this.get("/dashboard/api/stream", "text/event-stream", signal);
        let state: DashboardState | null = null;
        for await (const event of serverSentEvents(response, signal)) {
          const data: unknown = JSON.parse(event.data);
          if (event.event === "state") state = dashboardStateSchema.parse(data);
          else if (state && event.event === "delta")
            state = applyDashboardDelta(state, dashboardDeltaSchema.parse(data));
          else if (state && event.event === "point")
            state = applyDashboardPoint(state, dashboardPointSchema.parse(data));
          else continue;
          onState(state);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof AuthError) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  private async get(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.dashboard.replace(/\/+$/, "")}${path}`, {
        headers: { Accept: accept, ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      throw new Error(`no dashboard answers at ${this.dashboard} (${cause}); is the fleet up? (--dashboard URL)`);
    }
    if (response.status === 401 || response.status === 403)
      throw new AuthError(
        `the dashboard refused the ${this.token ? "token given" : "request: it needs a token"} (${response.status}); give it with --admin-token or SPECFLEET_ADMIN_TOKEN`,
      );
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    return response;
  }
}

class AuthError extends Error {}

interface ServerSentEvent {
  event: string;
  data: string;
}

/** The events of a `text/event-stream` body (the `event:` and `data:` fields; comments skipped). */
export async function* serverSentEvents(response: Response, signal: AbortSignal): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (signal.aborted) return;
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}
