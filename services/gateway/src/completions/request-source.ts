import type { RequestOrigin } from "#contracts";
import { arrivalOf } from "../http/http-metrics.js";
import { callerOf } from "../keys/index.js";

/**
 * Where and when a completion came from: its arrival (`performance.now()` ms, where its TTFT and
 * latency start) and its origin for operators (the API key's public id, never its secret, and
 * the job it belongs to), carried to the scheduler in `SchedulerSubmit.origin`.
 */
export interface RequestSource {
  arrivedAt: number;
  origin: RequestOrigin;
}

/** An interactive `/v1` request: its arrival at the HTTP edge and the key that authenticated it. */
export function interactiveSource(req: object): RequestSource {
  return { arrivedAt: arrivalOf(req), origin: { keyId: callerOf(req).keyId, jobId: null } };
}

/** A request from nowhere in particular (no key, no job), arriving now. */
export function anonymousSource(): RequestSource {
  return { arrivedAt: performance.now(), origin: { keyId: null, jobId: null } };
}
