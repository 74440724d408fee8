import { z } from "zod";
import { eventContract } from "./contract.js";
import { sessionIdSchema, workerIdSchema } from "./common.js";

/**
 * What operators watch (the dashboard, `specfleet fleet status`, Prometheus): each actor tells
 * observers what it is doing. Nothing here is on the hot path or needed to serve a request; an
 * observer that misses a message only sees a gap.
 */

/** The actors that report; the `actor` label of every metric. */
export const actorSchema = z.enum(["gateway", "scheduler", "registry", "verify-worker", "draft-worker", "dashboard"]);
export type Actor = z.infer<typeof actorSchema>;

/** One metric as prom-client's `getMetricsAsJSON()` gives it (labels are strings or numbers). */
export const metricJsonSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a Prometheus metric name"),
  help: z.string().max(1000),
  type: z.enum(["counter", "gauge", "histogram", "summary"]),
  aggregator: z.enum(["sum", "first", "min", "max", "average", "omit"]).default("sum"),
  values: z
    .array(
      z.object({
        value: z.number(),
        labels: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
        metricName: z.string().optional(),
      }),
    )
    .max(20_000),
});
export type MetricJson = z.infer<typeof metricJsonSchema>;

/**
 * Every actor → whoever gathers the fleet's metrics (the dashboard's `/metrics`): its whole
 * registry every METRICS_REPORT_MS. Drafters sit behind NAT where no Prometheus reaches them, so
 * each process sends rather than being scraped.
 */
export const MetricsReport = eventContract(
  // v2: sender-bound (`{from}`: the process's identity, a worker's id or a control-plane role).
  "specfleet.metrics.report.{from}",
  2,
  z.object({
    actor: actorSchema,
    /** The process: a worker's id, or the actor's name plus its host and pid. */
    instance: z.string().min(1).max(200),
    at: z.number(),
    /**
     * The longest this process waits before its next report (an idle process reports less often
     * than a busy one): a gatherer forgets it after a few such intervals of silence.
     */
    intervalMs: z.number().int().positive(),
    /**
     * A report larger than a NATS message (the registry's per-worker gauges of a fleet of
     * thousands) goes in parts, all with the report's `at`; the gatherer uses it once all arrived.
     */
    part: z.number().int().nonnegative().default(0),
    parts: z.number().int().positive().max(1000).default(1),
    metrics: z.array(metricJsonSchema).max(500),
  }),
);

/**
 * Whether a metrics report speaks only for its sender (`{from}`): a worker reports as its own id,
 * a control-plane process as its role. A drafter cannot pass its figures off as a verifier's.
 */
export function reportSpeaksForItself(report: { actor: Actor; instance: string }, from: string | null): boolean {
  if (report.actor === "verify-worker" || report.actor === "draft-worker") return report.instance === from;
  return report.actor === from;
}

/** Where the request came from, for operators: the API key's id and the job it belongs to. */
export const requestOriginSchema = z.object({
  keyId: z.string().max(100).nullable(),
  jobId: z.string().max(100).nullable(),
});
export type RequestOrigin = z.infer<typeof requestOriginSchema>;

const pairRefSchema = z.object({ verifierId: workerIdSchema, drafterId: workerIdSchema.nullable() });

/** Most sessions and waiting requests one insight lists (the counts are always whole). */
export const INSIGHT_LIST_LIMIT = 1000;

/**
 * An unchanged insight is sent again this often (a changed one at the next SCHEDULER_INSIGHT_MS):
 * well inside the dashboard's freshness (5 s) after which it shows the scheduler as gone.
 */
export const INSIGHT_KEEPALIVE_MS = 2000;

/** The scheduler's view for operators, published every SCHEDULER_INSIGHT_MS when it changes (INSIGHT_KEEPALIVE_MS). */
export const schedulerInsightSchema = z.object({
  at: z.number(),
  /** The pairing policy (PAIRING_POLICY). */
  policy: z.string(),
  decisions: z.object({
    /** Since the scheduler started. */
    total: z.number().int().nonnegative(),
    /** Over the last 10 s. */
    perSecond: z.number().nonnegative(),
    /** Latency of a placement decision (a queue pass for one request, or a rebalance look) over the last minute, ms; null before any. */
    p50Ms: z.number().nonnegative().nullable(),
    p95Ms: z.number().nonnegative().nullable(),
    p99Ms: z.number().nonnegative().nullable(),
  }),
  running: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  sessions: z
    .array(
      z.object({
        sessionId: sessionIdSchema,
        model: z.string(),
        verifierId: workerIdSchema,
        drafterId: workerIdSchema.nullable(),
        priority: z.number().int(),
        submittedAt: z.number(),
        placedAt: z.number(),
        promptTokens: z.number().int().nonnegative().nullable(),
        generatedTokens: z.number().int().nonnegative(),
        maxTokens: z.number().int().positive(),
        origin: requestOriginSchema.nullable(),
        /** Committed tokens/s the policy predicted for this session on its pair when it placed (or last re-paired) it. */
        predictedTokensPerSecond: z.number().nonnegative().nullable(),
        /** Committed tokens/s measured since then (round reports); null until measured. */
        achievedTokensPerSecond: z.number().nonnegative().nullable(),
      }),
    )
    .max(INSIGHT_LIST_LIMIT),
  queue: z
    .array(
      z.object({
        sessionId: sessionIdSchema,
        model: z.string(),
        priority: z.number().int(),
        submittedAt: z.number(),
        origin: requestOriginSchema.nullable(),
      }),
    )
    .max(INSIGHT_LIST_LIMIT),
});
export type SchedulerInsight = z.infer<typeof schedulerInsightSchema>;
export const SchedulerInsightReport = eventContract("specfleet.scheduler.insight", 1, schedulerInsightSchema);

/**
 * Why the scheduler moved a session. `rebalance`: a better pair was predicted
 * (`predictedGain`); `verifier-failover`: its verifier was lost or let it go, it resumes
 * elsewhere; `drafter-lost`: its drafter was lost, it goes on alone; `drafter-attached`: an alone
 * session got a drafter; `hand-back`: the drafter gave it back (decoding alone is faster);
 * `drain`: an operator drained a worker it ran on; `requeue`: it went back to the queue.
 */
export const moveKindSchema = z.enum([
  "rebalance",
  "verifier-failover",
  "drafter-lost",
  "drafter-attached",
  "hand-back",
  "drain",
  "requeue",
]);
export type MoveKind = z.infer<typeof moveKindSchema>;

export const schedulerMoveSchema = z.object({
  at: z.number(),
  kind: moveKindSchema,
  sessionId: sessionIdSchema,
  from: pairRefSchema.nullable(),
  to: pairRefSchema.nullable(),
  /** Rebalancing: the predicted committed tokens/s before and after, and the ms it saves net of the move. */
  predictedGain: z
    .object({ fromTokensPerSecond: z.number(), toTokensPerSecond: z.number(), savedMs: z.number() })
    .nullable(),
  /** In words an operator reads. */
  reason: z.string().max(500),
});
export type SchedulerMove = z.infer<typeof schedulerMoveSchema>;
export const SchedulerMoves = eventContract("specfleet.scheduler.moves", 1, schedulerMoveSchema);

/** The gateway's jobs that are not finished, with their progress (published every second while any runs). */
export const jobProgressSchema = z.object({
  id: z.string().max(100),
  keyId: z.string().max(100).nullable(),
  status: z.string().max(40),
  total: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  createdAt: z.number(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;
export const GatewayJobsReport = eventContract(
  "specfleet.gateway.jobs",
  1,
  z.object({ at: z.number(), instance: z.string().max(200), jobs: z.array(jobProgressSchema).max(200) }),
);
