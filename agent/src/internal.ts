/** @presage/agent internal entry: modules the tests reach into (not a stable API). */
export * from "./config.js";
export * from "./metrics/index.js";
export * from "./outbox.js";
export * from "./run.js";
export * from "./sources/freeipmi.js";
export * from "./sources/ipmitool.js";
export * from "./sources/source.js";
