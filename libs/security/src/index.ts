export * from "./redis-acl.js";
export * from "./permissions.js";
export * from "./nats-authority.js";
export * from "./nats-server-config.js";
export * from "./tls-certificates.js";
export * from "./peer-contracts.js";
