import { INSIGHT_LIST_LIMIT, type SchedulerInsight } from "#contracts";
import type { Waiting } from "../admission/waiting.js";
import type { PlacedSession } from "../sessions/session-table.js";
import type { DecisionSummary } from "./decision-stats.js";
import type { SessionRates } from "./prediction-ledger.js";

export interface InsightInputs {
  at: number;
  policy: string;
  decisions: DecisionSummary;
  /** The session table's running sessions. */
  sessions: Iterable<PlacedSession>;
  running: number;
  /** The waiting line, in serving order. */
  queue: Iterable<Waiting>;
  waiting: number;
  rates: (sessionId: string) => SessionRates;
  /** Most sessions and waiting requests listed (the counts stay whole). */
  limit?: number;
}

/**
 * The scheduler's insight for operators (`SchedulerInsightReport`): the policy, its decisions,
 * the running sessions with where they run and how fast against the prediction, and the queue
 * in serving order. Pure: the scheduler gives its table, line and ledger, tests fakes.
 */
export function buildInsight(inputs: InsightInputs): SchedulerInsight {
  const limit = Math.min(inputs.limit ?? INSIGHT_LIST_LIMIT, INSIGHT_LIST_LIMIT);
  const sessions: SchedulerInsight["sessions"] = [];
  for (const session of inputs.sessions) {
    if (sessions.length >= limit) break;
    const { job } = session;
    const rates = inputs.rates(job.sessionId);
    sessions.push({
      sessionId: job.sessionId,
      model: job.model,
      verifierId: session.verifierId,
      drafterId: session.drafterId,
      priority: job.priority,
      submittedAt: job.submittedAt,
      placedAt: session.placedAt,
      promptTokens: session.promptTokens,
      generatedTokens: session.generatedTokens,
      maxTokens: job.maxTokens,
      origin: job.origin ?? null,
      predictedTokensPerSecond: rates.predicted,
      achievedTokensPerSecond: rates.achieved,
    });
  }
  const queue: SchedulerInsight["queue"] = [];
  for (const { job } of inputs.queue) {
    if (queue.length >= limit) break;
    queue.push({
      sessionId: job.sessionId,
      model: job.model,
      priority: job.priority,
      submittedAt: job.submittedAt,
      origin: job.origin ?? null,
    });
  }
  return {
    at: inputs.at,
    policy: inputs.policy,
    decisions: inputs.decisions,
    running: inputs.running,
    waiting: inputs.waiting,
    sessions,
    queue,
  };
}

/** Sessions (or waiting requests) per model: the running and waiting gauges. */
export function countByModel(items: Iterable<{ job: { model: string } }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { job } of items) counts.set(job.model, (counts.get(job.model) ?? 0) + 1);
  return counts;
}
