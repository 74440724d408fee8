export * from "./policies.js";
