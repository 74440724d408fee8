export const SCHEDULER_CONFIG = Symbol("SCHEDULER_CONFIG");
export const SCHEDULER_LOGGER = Symbol("SCHEDULER_LOGGER");
export const CONTROL_PLANE = Symbol("CONTROL_PLANE");
export const WORKER_BUS = Symbol("WORKER_BUS");
