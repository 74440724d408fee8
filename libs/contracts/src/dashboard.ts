import { z } from "zod";
import { powerStateSchema, workerProfileSchema, workerRoleSchema, workerStateSchema } from "./fleet.js";
import { jobProgressSchema, schedulerInsightSchema, schedulerMoveSchema } from "./observability.js";

/**
 * The dashboard service's HTTP feed (services/dashboard): what the web page and
 * `specfleet fleet status` read. `GET /dashboard/api/state` answers a `DashboardState`;
 * `GET /dashboard/api/stream` (server-sent events) sends one `state` event, then a `delta` event
 * whenever something changed (at most every DASHBOARD_PUSH_MS), and `point` events for the charts.
 */

export const dashboardDeviceSchema = z.object({
  id: z.string(),
  role: workerRoleSchema,
  model: z.string(),
  deviceClass: z.string(),
  state: workerStateSchema,
  draining: z.boolean(),
  power: powerStateSchema,
  activeSessions: z.number().int().nonnegative(),
  maxSessions: z.number().int().nonnegative(),
  threads: z.number().int().nonnegative(),
  /** Committed (verifiers) or drafted (drafters) tokens per second, from telemetry. */
  tokensPerSecond: z.number().nonnegative(),
  /** Accepted / drafted since start (drafters and verifiers), null before any round. */
  acceptance: z.number().min(0).max(1).nullable(),
  meanBatchSize: z.number().nonnegative(),
  memoryRssBytes: z.number().nonnegative(),
  profile: workerProfileSchema,
  brokerRttMs: z.number().nonnegative().nullable(),
  startedAt: z.number(),
  lastSeenAt: z.number(),
});
export type DashboardDevice = z.infer<typeof dashboardDeviceSchema>;

/** A drafter–verifier pair with at least one round in the last minute, or a session now. */
export const dashboardPairSchema = z.object({
  verifierId: z.string(),
  drafterId: z.string(),
  /** Sessions the scheduler has on the pair now. */
  sessions: z.number().int().nonnegative(),
  /** Over the pair's last 10 s of rounds (null: no round in that time). */
  acceptance: z.number().min(0).max(1).nullable(),
  meanWindow: z.number().nonnegative().nullable(),
  /** How often each window γ was chosen lately: `{ "4": 12, "6": 3 }`. */
  windows: z.record(z.string(), z.number().int().nonnegative()),
  /** Network share of a round (round trip minus the verifier's time), ms. */
  roundTripMs: z.number().nonnegative().nullable(),
  /** Committed tokens/s over all the pair's sessions. */
  tokensPerSecond: z.number().nonnegative(),
  /** Rounds since the dashboard started watching. */
  rounds: z.number().int().nonnegative(),
  /** What load-aware predicted for one session on this pair, and what its sessions achieved (mean). */
  predictedTokensPerSecond: z.number().nonnegative().nullable(),
  achievedTokensPerSecond: z.number().nonnegative().nullable(),
  lastRoundAt: z.number().nullable(),
});
export type DashboardPair = z.infer<typeof dashboardPairSchema>;

export const dashboardSessionSchema = schedulerInsightSchema.shape.sessions.element.extend({
  /** The window of its last round, and its committed tokens/s over its last 10 s (null: no round yet). */
  window: z.number().int().nonnegative().nullable(),
  tokensPerSecond: z.number().nonnegative().nullable(),
});
export type DashboardSession = z.infer<typeof dashboardSessionSchema>;

export const dashboardWaitingSchema = schedulerInsightSchema.shape.queue.element;
export type DashboardWaiting = z.infer<typeof dashboardWaitingSchema>;

export const dashboardSchedulerSchema = z.object({
  /** An insight arrived in the last few seconds. */
  connected: z.boolean(),
  lastInsightAt: z.number().nullable(),
  policy: z.string().nullable(),
  decisions: schedulerInsightSchema.shape.decisions.nullable(),
  running: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
});
export type DashboardScheduler = z.infer<typeof dashboardSchedulerSchema>;

/** One chart sample (every DASHBOARD_SAMPLE_MS, 15 minutes kept); a figure nothing measured yet is null. */
export const dashboardPointSchema = z.object({
  at: z.number(),
  /** Committed tokens/s over the fleet. */
  throughput: z.number().nonnegative(),
  ttftP50Ms: z.number().nonnegative().nullable(),
  ttftP95Ms: z.number().nonnegative().nullable(),
  tpotP50Ms: z.number().nonnegative().nullable(),
  tpotP95Ms: z.number().nonnegative().nullable(),
  /** Accepted / drafted over the sample's window. */
  acceptance: z.number().min(0).max(1).nullable(),
  queueDepth: z.number().int().nonnegative(),
  sessions: z.number().int().nonnegative(),
});
export type DashboardPoint = z.infer<typeof dashboardPointSchema>;

export const dashboardRoleSchema = z.enum(["admin", "viewer"]);
export type DashboardRole = z.infer<typeof dashboardRoleSchema>;

export const dashboardStateSchema = z.object({
  at: z.number(),
  /** What the caller may do: viewers see no drain button. */
  role: dashboardRoleSchema,
  devices: z.array(dashboardDeviceSchema),
  pairs: z.array(dashboardPairSchema),
  sessions: z.array(dashboardSessionSchema),
  queue: z.array(dashboardWaitingSchema),
  jobs: z.array(jobProgressSchema),
  /** Newest last; the last 500. */
  moves: z.array(schedulerMoveSchema),
  scheduler: dashboardSchedulerSchema,
  /** Oldest first, the last 15 minutes. */
  series: z.array(dashboardPointSchema),
});
export type DashboardState = z.infer<typeof dashboardStateSchema>;

/**
 * What changed since the last event: lists given in full replace the old ones (sessions, queue,
 * jobs, pairs, scheduler); devices come as changed rows plus the ids removed; moves are new ones.
 */
export const dashboardDeltaSchema = z.object({
  at: z.number(),
  devices: z.array(dashboardDeviceSchema).optional(),
  removedDevices: z.array(z.string()).optional(),
  pairs: z.array(dashboardPairSchema).optional(),
  sessions: z.array(dashboardSessionSchema).optional(),
  queue: z.array(dashboardWaitingSchema).optional(),
  jobs: z.array(jobProgressSchema).optional(),
  moves: z.array(schedulerMoveSchema).optional(),
  scheduler: dashboardSchedulerSchema.optional(),
});
export type DashboardDelta = z.infer<typeof dashboardDeltaSchema>;

/** `GET /dashboard/api/pairs/{verifierId}/{drafterId}/history`: the pair's samples, oldest first (15 minutes). */
export const pairHistorySchema = z.object({
  verifierId: z.string(),
  drafterId: z.string(),
  points: z.array(
    z.object({
      at: z.number(),
      acceptance: z.number().min(0).max(1).nullable(),
      meanWindow: z.number().nonnegative().nullable(),
      roundTripMs: z.number().nonnegative().nullable(),
      tokensPerSecond: z.number().nonnegative(),
      rounds: z.number().int().nonnegative(),
      predictedTokensPerSecond: z.number().nonnegative().nullable(),
      achievedTokensPerSecond: z.number().nonnegative().nullable(),
    }),
  ),
});
export type PairHistory = z.infer<typeof pairHistorySchema>;
