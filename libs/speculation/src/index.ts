export * from "./acceptance.js";
export * from "./ledger.js";
export * from "./round-position.js";
export * from "./completion.js";
export * from "./sampling.js";
export * from "./seeded.js";
export * from "./audit/index.js";
