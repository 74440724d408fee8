export * from "./expected-tokens.js";
export * from "./controller.js";
