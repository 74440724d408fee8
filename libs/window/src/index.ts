export * from "./expected-tokens.js";
export * from "./controller.js";
export * from "./estimator.js";
export * from "./policy.js";
export * from "./verify-cost.js";
