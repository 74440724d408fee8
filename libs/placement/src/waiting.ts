/** A request waiting for a pair, as the queue pass sees it (the scheduler's and DSD-Sim's alike). */
export interface WaitingRequest {
  /** The target model asked for. */
  model: string;
  /** Most tokens it may generate: how long it would hold a pair. */
  maxTokens: number;
  /** Lower first (vLLM's convention). */
  priority: number;
  /** A running session waiting to be resumed elsewhere (its verifier died or is draining). */
  resume: boolean;
  /** When it arrived (its order among equals), ms. */
  arrivedAt: number;
  /** When it started waiting (its deadline counts from here), ms. */
  since: number;
}

/** Serving order: lower `priority` first, then resumed sessions, then arrival. */
export function waitingOrder(a: WaitingRequest, b: WaitingRequest): number {
  return a.priority - b.priority || Number(b.resume) - Number(a.resume) || a.arrivedAt - b.arrivedAt;
}
