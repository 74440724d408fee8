export const SCHEDULER_CONFIG = Symbol("SCHEDULER_CONFIG");
export const SCHEDULER_LOGGER = Symbol("SCHEDULER_LOGGER");
/** The process's one ContractBus: workers and the control plane alike. */
export const WORKER_BUS = Symbol("WORKER_BUS");
/** The pairing policy (one instance: round-robin keeps its turn across every decision). */
export const PAIRING_POLICY = Symbol("PAIRING_POLICY");
export const ADMISSION_REPOSITORY = Symbol("ADMISSION_REPOSITORY");
export const SESSION_TABLE = Symbol("SESSION_TABLE");
export const SESSION_WORKERS = Symbol("SESSION_WORKERS");
export const SESSION_STEPS = Symbol("SESSION_STEPS");
/** Load-aware's and the rebalancer's tuning values (libs/pairing), from the scheduler's environment. */
export const PAIRING_TUNING = Symbol("PAIRING_TUNING");
/** The scheduler's Prometheus metrics (libs/metrics `schedulerMetrics`). */
export const SCHEDULER_METRICS = Symbol("SCHEDULER_METRICS");
/** This replica's part in the leader lease (leadership/leadership.ts): checked before workers are asked anything. */
export const LEADERSHIP = Symbol("LEADERSHIP");
