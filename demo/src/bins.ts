/** The programs the demo runs, found through their packages' `bin` fields (never by a path relative to this file). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export function binOf(pkg: string, name: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const bin = (JSON.parse(readFileSync(manifest, "utf8")) as { bin?: Record<string, string> }).bin?.[name];
  if (!bin) throw new Error(`${pkg} declares no "${name}" program`);
  return join(dirname(manifest), bin);
}
