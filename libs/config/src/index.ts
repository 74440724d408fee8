export * from "./load.js";
export * from "./services.js";
export * from "./pairing-tuning.js";
export * from "./gateway.js";
export * from "./dashboard.js";
export * from "./redis.js";
export * from "./secret-file.js";
