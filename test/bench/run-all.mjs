#!/usr/bin/env node
// `pnpm bench`: every benchmark in turn, each in its own process so one's memory does not skew the next.
// Pass names to run a subset: `pnpm bench detect balance`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = ["detect", "sources", "migration", "controller", "balance", "telemetry", "dashboard"];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : all;
const failed = [];
for (const name of wanted) {
  const file = join(here, `${name}.mjs`);
  if (!existsSync(file)) {
    console.log(`\n== ${name}: no such benchmark (have: ${all.join(", ")})`);
    failed.push(name);
    continue;
  }
  console.log(`\n== bench:${name} ${"=".repeat(60 - name.length)}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [file], { stdio: "inherit" });
  console.log(`== bench:${name} finished in ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${r.status})`);
  if (r.status !== 0) failed.push(name);
}
if (failed.length) {
  console.log(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
