export const REGISTRY_CONFIG = Symbol("REGISTRY_CONFIG");
export const REGISTRY_LOGGER = Symbol("REGISTRY_LOGGER");
export const WORKER_REPOSITORY = Symbol("WORKER_REPOSITORY");
/** The registry's metrics (libs/metrics `registryMetrics`): the fleet's gauges. */
export const REGISTRY_METRICS = Symbol("REGISTRY_METRICS");
/** The process's one ContractBus: what the registry serves and the fleet events it publishes. */
export const REGISTRY_BUS = Symbol("REGISTRY_BUS");
