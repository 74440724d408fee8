export * from "./errors.js";
export * from "./wire.js";
export * from "./nats.js";
export * from "./bus.js";
export * from "./nest-server.js";
export * from "./fleet-snapshot.js";
export * from "./metrics-reporting.js";
