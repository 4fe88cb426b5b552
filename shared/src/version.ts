import { createRequire } from "node:module";

/** The Presage release, set once in shared/package.json: agent heartbeats, `--version`, the ops service's info. */
export const PRESAGE_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string })
  .version;
