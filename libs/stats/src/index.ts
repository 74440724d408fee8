export * from "./homogeneity.js";
