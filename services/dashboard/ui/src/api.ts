import type { DashboardRole, PairHistory } from "./feed/contracts.js";

/** The dashboard's HTTP API (services/dashboard): same origin, the session cookie carries the login. */
const API = "/dashboard/api";

/** `open`: the dashboard has no tokens (loopback only), everyone is admin and there is nothing to log out of. */
export type MeResult =
  { kind: "ok"; role: DashboardRole; open: boolean } | { kind: "unauthorized" } | { kind: "unreachable" };

export async function fetchMe(): Promise<MeResult> {
  try {
    const response = await fetch(`${API}/me`, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) return { kind: "unauthorized" };
    if (!response.ok) return { kind: "unreachable" };
    const body = (await response.json()) as { role?: DashboardRole | null; open?: boolean };
    return body.role ? { kind: "ok", role: body.role, open: body.open === true } : { kind: "unauthorized" };
  } catch {
    return { kind: "unreachable" };
  }
}

/** Logs in with an admin or viewer token; the server answers with a session cookie. */
export async function login(token: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const response = await post(`${API}/login`, { token });
  if (response.ok) return { ok: true };
  return { ok: false, message: response.status === 401 ? "That token is not valid." : await errorMessage(response) };
}

export async function logout(): Promise<void> {
  await post(`${API}/logout`, {});
}

export type DrainAction = "drain" | "undrain";

/** Drains or undrains a device; the feed shows the outcome. Resolves to an error message, or null. */
export async function setDraining(deviceId: string, action: DrainAction): Promise<string | null> {
  try {
    const response = await post(`${API}/devices/${encodeURIComponent(deviceId)}/${action}`, {});
    return response.ok ? null : await errorMessage(response);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function fetchPairHistory(verifierId: string, drafterId: string): Promise<PairHistory> {
  const url = `${API}/pairs/${encodeURIComponent(verifierId)}/${encodeURIComponent(drafterId)}/history`;
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(await errorMessage(response));
  return (await response.json()) as PairHistory;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The OpenAI-style error body's message, or the status line. */
async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: fall through to the status
  }
  return `${response.status} ${response.statusText}`.trim();
}
