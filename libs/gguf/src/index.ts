export * from "./types.js";
export * from "./reader.js";
export * from "./writer.js";
export * from "./tensor-data.js";
export * from "./quantize.js";
export * from "./fingerprint.js";
export * from "./metadata.js";
