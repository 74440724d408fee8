export * from "./errors.js";
export * from "./nats.js";
export * from "./bus.js";
export * from "./nest.js";
export * from "./process.js";
export * from "./fleet-snapshot.js";
