export * from "./provider.js";
export * from "./nats-headers.js";
export * from "./spans.js";
export * from "./trace-memory.js";
