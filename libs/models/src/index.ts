export * from "./architecture.js";
export * from "./derive.js";
export * from "./widen.js";
