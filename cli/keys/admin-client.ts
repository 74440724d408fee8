/** The gateway's admin API as the CLI calls it: JSON in, JSON out, OpenAI's error object turned into a message. */
export class AdminClient {
  constructor(
    private readonly gateway: string,
    private readonly adminToken: string | undefined,
  ) {}

  async call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const url = `${this.gateway.replace(/\/+$/, "")}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...(this.adminToken ? { Authorization: `Bearer ${this.adminToken}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      throw new Error(`no gateway answers at ${this.gateway} (${cause}); is the fleet up? (--gateway URL)`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) throw new Error(errorMessage(response.status, json));
    return json as T;
  }
}

function errorMessage(status: number, json: unknown): string {
  const error = (json as { error?: { message?: string; code?: string | null } }).error;
  const message = error?.message ?? JSON.stringify(json);
  if (status === 401 && error?.code === "invalid_admin_token")
    return `${message} (give it with --admin-token or SPECFLEET_ADMIN_TOKEN)`;
  return `${status}: ${message}`;
}
