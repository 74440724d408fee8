import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { ProbeEnv } from "./probe-target.js";

const POLL_MS = 250;
const REQUEST_TIMEOUT_MS = 3000;
/** Beyond the worker's own DRAIN_TIMEOUT_MS, how long the default wait allows. */
const WAIT_MARGIN_S = 5;

const drainStatusSchema = z.object({ draining: z.boolean(), done: z.boolean(), sessions: z.number() });

/**
 * `specfleet worker drain [--timeout-s N]`, a worker pod's preStop: asks the worker in this
 * container to drain (POST /drain on its health port, loopback) and waits until it holds no
 * session or the time is up. Returns the exit code: 0 drained, 1 otherwise.
 */
export async function drainWorker(
  env: ProbeEnv,
  timeoutS: number | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (env.HEALTH_PORT === 0) {
    err("HEALTH_PORT is not set: the worker has no health listener to ask");
    return 1;
  }
  const url = `http://127.0.0.1:${env.HEALTH_PORT}/drain`;
  const deadline = Date.now() + 1000 * (timeoutS ?? env.DRAIN_TIMEOUT_MS / 1000 + WAIT_MARGIN_S);
  let status = await ask(url, "POST", err);
  if (status === null) return 1;
  out(`draining: ${status.sessions} session(s) to move`);
  while (!status.done) {
    if (Date.now() >= deadline) {
      err(`the drain did not finish in time: ${status.sessions} session(s) left`);
      return 1;
    }
    await sleep(POLL_MS);
    status = (await ask(url, "GET", err)) ?? status;
  }
  out(`drained: ${status.sessions} session(s) left`);
  return 0;
}

async function ask(url: string, method: "GET" | "POST", err: (line: string) => void) {
  try {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body: unknown = await response.json().catch(() => null);
    const status = drainStatusSchema.safeParse(body);
    if (response.ok && status.success) return status.data;
    err(`${method} ${url}: HTTP ${response.status}`);
  } catch (error) {
    err(`${method} ${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return null;
}
