// The feed's shapes, from the one declaration in libs/contracts. Type-only: nothing of zod is bundled.
export type {
  DashboardDelta,
  DashboardDevice,
  DashboardPair,
  DashboardPoint,
  DashboardRole,
  DashboardScheduler,
  DashboardSession,
  DashboardState,
  DashboardWaiting,
  PairHistory,
} from "../../../../../libs/contracts/src/dashboard.js";
export type { JobProgress, MoveKind, SchedulerMove } from "../../../../../libs/contracts/src/observability.js";
export type { WorkerState } from "../../../../../libs/contracts/src/fleet.js";
