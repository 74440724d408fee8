export const GATEWAY_CONFIG = Symbol("GATEWAY_CONFIG");
export const GATEWAY_LOGGER = Symbol("GATEWAY_LOGGER");
/** The process's one ContractBus: workers, session streams and the control plane alike. */
export const WORKER_BUS = Symbol("WORKER_BUS");
