export const GATEWAY_CONFIG = Symbol("GATEWAY_CONFIG");
export const GATEWAY_LOGGER = Symbol("GATEWAY_LOGGER");
export const CONTROL_PLANE = Symbol("CONTROL_PLANE");
export const WORKER_BUS = Symbol("WORKER_BUS");
