/** @presage/cli internal entry: the CLI's modules, for its tests and the demo (not a stable API). */
export * from "./client.js";
export * from "./commands.js";
export * from "./connection.js";
export * from "./exit.js";
export * from "./format.js";
export * from "./index.js";
export * from "./render.js";
export * from "./watch.js";
