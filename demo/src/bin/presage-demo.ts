#!/usr/bin/env node
/** `presage-demo` (also `presage demo`, `pnpm demo`): the self-contained story of a failing fan (docs/cli.md). */
import { runDemo } from "../index.js";

runDemo(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`presage-demo: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
