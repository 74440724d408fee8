export const REGISTRY_CONFIG = Symbol("REGISTRY_CONFIG");
export const REGISTRY_LOGGER = Symbol("REGISTRY_LOGGER");
export const REDIS = Symbol("REDIS");
export const FLEET_EVENTS = Symbol("FLEET_EVENTS");
