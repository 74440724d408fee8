import { probeBaseUrl, type ProbeEnv } from "./probe-target.js";

const PROBE_TIMEOUT_MS = 3000;

/**
 * `specfleet health [--ready]`: whether the actor in this container answers its health endpoint
 * (GET /healthz, or /readyz with --ready): the image's HEALTHCHECK. Returns the exit code.
 */
export async function checkHealth(env: ProbeEnv, ready: boolean, err: (line: string) => void): Promise<number> {
  const base = probeBaseUrl(env);
  if (base === null) {
    err("no port to probe: set HEALTH_PORT (or GATEWAY_PORT / DASHBOARD_PORT for those actors)");
    return 1;
  }
  const url = `${base}/${ready ? "readyz" : "healthz"}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.ok) return 0;
    err(`${url}: HTTP ${response.status}`);
  } catch (error) {
    err(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return 1;
}
