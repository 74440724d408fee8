export * from "./config.js";
export { acceptanceModel, type AcceptanceModel } from "./acceptance.js";
export { distribution, type Distribution, type SimSummary } from "./metrics.js";
export { oneWayMs, meanRttMs } from "./network.js";
export { Random } from "./random.js";
export { simulate, type SimOptions } from "./simulator.js";
export { readTrace, type SimRequest } from "./workload.js";
export { SimPlacement, type LinkFigures, type SimPlacementOptions } from "./placement.js";
