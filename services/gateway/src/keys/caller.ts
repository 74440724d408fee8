import type { KeyLimits, PriorityRange } from "./api-key.js";

/**
 * Who makes a `/v1` request: an API key, or anonymous (`keyId: null`) while no key is
 * configured. Jobs and batches belong to `keyId` (another key sees 404); `jobPriority` is added
 * to the priority of the requests a job makes; `priorityRange` bounds an interactive request's
 * `priority`.
 */
export interface Caller {
  keyId: string | null;
  /** The key's name (never its secret), for logs. */
  name: string | null;
  limits: KeyLimits;
  jobPriority: number;
  priorityRange: PriorityRange;
}

const callers = new WeakMap<object, Caller>();

/** The API key guard records the caller of each `/v1` request here. */
export function setCaller(request: object, caller: Caller): void {
  callers.set(request, caller);
}

/**
 * The caller of a `/v1` request (the Express request a handler gets with `@Req()`). Throws for a
 * request the API key guard has not seen (a route outside `/v1`): a bug, not a client's error.
 */
export function callerOf(request: object): Caller {
  const caller = callers.get(request);
  if (caller === undefined) throw new Error("callerOf: no caller for this request (is the route under /v1?)");
  return caller;
}
