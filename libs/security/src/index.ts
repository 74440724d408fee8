export * from "./redis-acl.js";
