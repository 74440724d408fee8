export * from "./process-guards.js";
export * from "./health-server.js";
export * from "./nats-readiness.js";
