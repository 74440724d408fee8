export * from "./stats.js";
export * from "./heartbeat.js";
export * from "./keyed-lock.js";
export * from "./boot.js";
export * from "./worker-module.js";
export * from "./power.js";
export * from "./drain.js";
export * from "./enrollment.js";
