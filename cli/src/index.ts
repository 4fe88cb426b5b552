/** @presage/cli public entry: run the `presage` operator CLI (docs/cli.md) with your own IO. */
export { type CliIo, runCli } from "./main.js";
