/**
 * `presage-agent parse` on the six real FASRC captures reproduces their expected readings line for
 * line (a row marked `anyType` in the expected file has no unit to type it by, so any type is fine),
 * and `--discrete` adds the discrete sensors with their state.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
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

describe("parse CLI - input that is not a capture", () => {
  const run = (input: Buffer | string, format = "ipmitool-sdr") =>
    spawnSync(process.execPath, [BIN, "parse", "--format", format, "--host", "h1", "--discrete"], {
      input,
      encoding: "utf8",
    });

  it.each(["ipmitool-sdr", "ipmitool-sdr-elist", "ipmitool-sensor", "freeipmi-sensors", "ipmimonitoring"])(
    "parse CLI - 2 MB of random bytes as %s: no readings, every line counted as skipped, exit 1",
    (format) => {
      const r = run(randomBytes(2_000_000), format);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const m = /skipped (\d+) of (\d+) lines that are not/.exec(r.stderr);
      expect(m?.[1]).toBe(m?.[2]);
      expect(Number(m?.[1])).toBeGreaterThan(1000);
      expect(r.stderr).toMatch(new RegExp(`no ${format} sensor line in the input`));
      expect(r.stderr).toMatch(/^[\x20-\x7e\n]*$/); // the sample line is safe to print
    },
  );

  it("parse CLI - noise inside a real capture is skipped and counted; the readings still come out", () => {
    const capture = readFileSync(join(DIR, "fasrc-dell-1.txt"), "utf8");
    const r = run(`Unable to establish IPMI v2 / RMCP+ session\n${capture}\x00\x01 garbage | x | y\n`);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /skipped 2 of \d+ lines that are not ipmitool-sdr sensor lines \(first: "Unable to establish/,
    );
    expect(r.stdout.trim().split("\n").length).toBe(run(capture).stdout.trim().split("\n").length);
  });

  it("parse CLI - an empty capture is an error", () => {
    const r = run("");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no ipmitool-sdr sensor line in the input \(it is empty\)/);
  });
});
