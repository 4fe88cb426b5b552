/** Every metric family the code writes by name is declared (so it has HELP and shows from start-up). */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { AGENT_FAMILIES } from "@presage/agent/internal";
import { CONTROLLER_FAMILIES, SENSORS_DROPPED } from "@presage/controller/internal";
import { BUS_FAMILIES } from "@presage/shared";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });

describe("metric names", () => {
  it("metrics - every name passed to inc/set/observe/zero is a declared family of its process", () => {
    const declared = {
      agent: new Set([...BUS_FAMILIES, ...AGENT_FAMILIES].map((f) => f.name)),
      controller: new Set([...BUS_FAMILIES, ...CONTROLLER_FAMILIES].map((f) => f.name)),
      shared: new Set(BUS_FAMILIES.map((f) => f.name)),
    };
    const missing: string[] = [];
    let seen = 0;
    for (const pkg of ["agent", "controller", "shared"] as const)
      for (const f of files(join(ROOT, pkg, "src")))
        for (const m of readFileSync(f, "utf8").matchAll(/\.(?:inc|set|observe|zero)\(\s*"([a-z_]+)"/g)) {
          seen++;
          if (!declared[pkg].has(m[1] as string)) missing.push(`${f.slice(ROOT.length + 1)}: ${m[1]}`);
        }
    expect(seen).toBeGreaterThan(20);
    expect(declared.controller.has(SENSORS_DROPPED)).toBe(true);
    expect(missing).toEqual([]);
  });
});
