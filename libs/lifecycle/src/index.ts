export * from "./process-guards.js";
