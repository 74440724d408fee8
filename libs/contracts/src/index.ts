export * from "./contract.js";
export * from "./common.js";
export * from "./fleet.js";
export * from "./scheduler.js";
export * from "./session.js";
export * from "./queues.js";
export * from "./observability.js";
export * from "./dashboard.js";
