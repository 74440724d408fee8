export const SCHEDULER_CONFIG = Symbol("SCHEDULER_CONFIG");
export const SCHEDULER_LOGGER = Symbol("SCHEDULER_LOGGER");
/** The process's one ContractBus: workers and the control plane alike. */
export const WORKER_BUS = Symbol("WORKER_BUS");
