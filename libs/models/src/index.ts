export * from "./architecture.js";
export * from "./derive.js";
export * from "./widen.js";
export * from "./recipes.js";
export * from "./cache.js";
export * from "./inspect.js";
