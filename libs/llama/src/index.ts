export * from "./runtime.js";
export * from "./prompt.js";
export * from "./completion-text.js";
export * from "./chat-prompt.js";
export * from "./session.js";
export * from "./local-loop.js";
export * from "./verify.js";
export * from "./profile.js";
