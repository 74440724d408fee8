export * from "./stats.js";
export * from "./heartbeat.js";
export * from "./keyed-lock.js";
