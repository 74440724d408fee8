export * from "./api-error.js";
export * from "./api-error.filter.js";
export * from "./body-parsing.js";
export * from "./request-origin.js";
export * from "./secret-compare.js";
export * from "./worker-drain.js";
