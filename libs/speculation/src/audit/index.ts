export * from "./draw-pit.js";
export * from "./draw-detector.js";
export * from "./q-comparison.js";
export * from "./drafter-models.js";
