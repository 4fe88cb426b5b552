/**
 * `presage-agent parse` on the six real FASRC captures reproduces their expected readings line for
 * line (a row marked `anyType` in the expected file has no unit to type it by, so any type is fine),
 * and `--discrete` adds the discrete sensors with their state.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const BIN = join(ROOT, "agent/dist/bin/presage-agent.js");
const DIR = join(ROOT, "agent/test/fixtures/fasrc");

function parse(file: string, extra: string[] = []): Record<string, unknown>[] {
  const out = execFileSync(
    process.execPath,
    [BIN, "parse", "--format", "ipmitool-sdr", "--host", "h1", "--ts", "1700000000000", ...extra],
    { input: readFileSync(file), encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("parse CLI - FASRC captures", () => {
  const captures = readdirSync(DIR).filter((f) => f.endsWith(".txt"));

  it("has the six captures", () => {
    expect(existsSync(BIN), "build first: pnpm build").toBe(true);
    expect(captures).toHaveLength(6);
  });

  it.each(captures)("parse CLI - %s gives exactly the expected readings", (name) => {
    const ours = parse(join(DIR, name));
    const expected = readFileSync(join(DIR, name.replace(/\.txt$/, ".expected.ndjson")), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ours).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const { anyType, ...want } = e;
      const got = { ...ours[i] };
      if (anyType) {
        expect(typeof got.type).toBe("string");
        got.type = want.type;
      }
      expect(got, `line ${i + 1} (${String(e.sensor)})`).toEqual(want);
    });
  });

  it("parse CLI - --discrete adds discrete sensors with value null and their state", () => {
    const file = join(DIR, "fasrc-dell-1.txt");
    const plain = parse(file);
    const all = parse(file, ["--discrete"]);
    const discrete = all.filter((r) => r.state !== undefined);
    expect(discrete.length).toBeGreaterThan(0);
    expect(all.length).toBe(plain.length + discrete.length);
    for (const r of discrete) {
      expect(r.value).toBeNull();
      expect(r.type).toBe("other");
    }
  });
});
