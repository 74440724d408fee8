export * from "./load.js";
export * from "./services.js";
