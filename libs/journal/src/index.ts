export * from "./journal.js";
export * from "./redis-journal.js";
