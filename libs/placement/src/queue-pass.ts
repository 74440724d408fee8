import {
  candidatePairs,
  isDecision,
  type PairingContext,
  type PairingDecision,
  type PairingPolicy,
  type WorkerView,
} from "#pairing";
import { indexViews, takeSlots, type ViewIndex } from "./views.js";
import type { WaitingRequest } from "./waiting.js";

export interface QueuePassOptions {
  now: number;
  /** A new request that waited longer than this is told so and leaves; a resumed session never does. */
  queueTimeoutMs: number;
  /**
   * Per model, how many requests that chose to wait for a faster pair (load-aware's waiting rule)
   * the pass looks past before it stops looking at that model: it bounds a pass's cost when
   * thousands wait, while one behind a waiting request may still take a free pair.
   */
  lookahead: number;
  /** The views' index, when the caller keeps one of these very views (else built for the pass). */
  index?: ViewIndex;
}

export const QUEUE_PASS_DEFAULTS: Omit<QueuePassOptions, "now"> = {
  queueTimeoutMs: Number.POSITIVE_INFINITY,
  lookahead: 4,
};

/** What the pass decided for one waiting request; those it leaves waiting are not listed. */
export type PassOutcome<W> =
  | { kind: "place"; waiting: W; decision: Extract<PairingDecision, { kind: "pair" | "alone" }> }
  /** Waited past its deadline. */
  | { kind: "expire"; waiting: W }
  /** No verifier serves its model. */
  | { kind: "refuse"; waiting: W; decision: Extract<PairingDecision, { kind: "none" }> };

/**
 * One pass over the waiting requests, in serving order: each is given to the pairing policy once
 * (with how many of its model chose to wait ahead of it, and how long it has waited), and a
 * placement takes its slots on `views` before the next decision. A model whose compatible pairs
 * are all full is not looked at again in this pass (everyone behind would wait too), nor one past
 * `lookahead` requests that chose to wait. A running session whose model has no verifier right
 * now keeps waiting (a partition, a restart); a new one is refused.
 *
 * Pure: the scheduler runs it over its durable queue, DSD-Sim over its simulated one.
 */
export function queuePass<W extends WaitingRequest>(
  waiting: Iterable<W>,
  views: WorkerView[],
  policy: PairingPolicy,
  context: PairingContext,
  options: QueuePassOptions,
): PassOutcome<W>[] {
  const outcomes: PassOutcome<W>[] = [];
  let byId = options.index?.byId;
  const ahead = new Map<string, number>();
  const blocked = new Set<string>();
  for (const request of waiting) {
    if (!request.resume && options.now - request.since > options.queueTimeoutMs) {
      outcomes.push({ kind: "expire", waiting: request });
      continue;
    }
    if (blocked.has(request.model)) continue;
    const waitingAhead = ahead.get(request.model) ?? 0;
    const decision = policy(
      views,
      {
        model: request.model,
        maxTokens: request.maxTokens,
        ahead: waitingAhead,
        waitedMs: options.now - request.since,
      },
      context,
    );
    if (decision.kind === "none" && request.resume) continue;
    if (decision.kind === "wait") {
      ahead.set(request.model, waitingAhead + 1);
      if (waitingAhead + 1 > options.lookahead || noFreePair(views, request.model)) blocked.add(request.model);
      continue;
    }
    if (decision.kind === "none") {
      outcomes.push({ kind: "refuse", waiting: request, decision });
      continue;
    }
    takeSlots((byId ??= indexViews(views).byId), decision);
    outcomes.push({ kind: "place", waiting: request, decision });
  }
  return outcomes;
}

function noFreePair(views: readonly WorkerView[], model: string): boolean {
  return isDecision(candidatePairs(views, { model }));
}
