export const VERIFIER_CONFIG = Symbol("VERIFIER_CONFIG");
export const VERIFIER_LOGGER = Symbol("VERIFIER_LOGGER");
export const WORKER_BUS = Symbol("WORKER_BUS");
export const TARGET_MODEL = Symbol("TARGET_MODEL");
export const CONTROL_PLANE = Symbol("CONTROL_PLANE");
