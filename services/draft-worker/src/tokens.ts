export const DRAFTER_CONFIG = Symbol("DRAFTER_CONFIG");
export const DRAFTER_LOGGER = Symbol("DRAFTER_LOGGER");
export const WORKER_BUS = Symbol("WORKER_BUS");
export const DRAFT_MODEL = Symbol("DRAFT_MODEL");
export const CONTROL_PLANE = Symbol("CONTROL_PLANE");
