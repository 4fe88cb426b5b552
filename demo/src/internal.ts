/** @presage/demo internal entry: the demo's parts, for its tests (not a stable API). */
export { binOf } from "./bins.js";
export * from "./fleet.js";
export * from "./index.js";
export * from "./narrator.js";
export { waitHealthy } from "./wait-healthy.js";
