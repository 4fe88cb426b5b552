import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readingCheck, validate } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORMATS, type Format, newParseStats, parsers } from "../../src/parse/index.js";

const FIX = join(import.meta.dirname, "../fixtures");
const ctx = { host: "h1", ts: 1_700_000_000_000 };

const fixtureLines = (format: Format): string[] =>
  readdirSync(join(FIX, format)).flatMap((f) =>
    readFileSync(join(FIX, format, f), "utf8")
      .split("\n")
      .filter((l) => l.trim()),
  );

const MISSING = ["na", "NA", "ns", "N/A", "no reading", "No Reading", "disabled", "Disabled", "Not Readable", ""];
const TOKENS = [
  ...MISSING,
  "0",
  "0.000",
  "-0",
  "1e999",
  "NaN",
  "Infinity",
  "0x00",
  "12.5",
  "RPM",
  "degrees C",
  "'OK'",
  ",",
  "|",
  "  ",
];

/** A fixture line with one cell replaced, cells dropped or duplicated, separators and spacing shuffled. */
const mutatedLine = (lines: string[]) =>
  fc
    .tuple(fc.constantFrom(...lines), fc.nat(), fc.constantFrom(...TOKENS), fc.integer({ min: 0, max: 4 }))
    .map(([line, pos, tok, op]) => {
      const sep = line.includes("|") ? "|" : ",";
      const cells = line.split(sep);
      const i = pos % cells.length;
      if (op === 0) cells[i] = ` ${tok} `;
      else if (op === 1) cells.splice(i, 1);
      else if (op === 2) cells.splice(i, 0, tok);
      else if (op === 3) return line.slice(0, pos % (line.length + 1));
      else cells[i] = `${cells[i]}${tok}`;
      return cells.join(sep);
    });

const input = (lines: string[]) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.oneof(mutatedLine(lines), fc.constantFrom(...lines)), { maxLength: 8 }).map((ls) => ls.join("\n")),
  );

/** One row of the format whose reading cell is a "no reading" word (in any case and spacing). */
const missingRow: Record<Format, (name: string, word: string) => string> = {
  "ipmitool-sdr": (n, w) => `${n} | ${w} | ns`,
  "ipmitool-sdr-elist": (n, w) => `${n} | 41h | ns | 29.1 | ${w}`,
  "ipmitool-sensor": (n, w) => `${n} | ${w} | RPM | na | 300.000 | na | na | na | na | na`,
  "freeipmi-sensors": (n, w) => `4,${n},Fan,N/A,${w},RPM,N/A,N/A,N/A,N/A,N/A,N/A,N/A`,
  ipmimonitoring: (n, w) => `4,${n},Fan,N/A,${w},RPM,N/A`,
};

/** The cell that makes a line a sensor line of its format: the status column, or the record id. */
const KEY_CELL: Record<Format, { sep: string; index: number }> = {
  "ipmitool-sdr": { sep: "|", index: 2 },
  "ipmitool-sdr-elist": { sep: "|", index: 1 },
  "ipmitool-sensor": { sep: "|", index: 3 },
  "freeipmi-sensors": { sep: ",", index: 0 },
  ipmimonitoring: { sep: ",", index: 0 },
};
const STATUSES = new Set(["ok", "ns", "na", "nc", "cr", "nr", "lnc", "lcr", "lnr", "unc", "ucr", "unr"]);

/**
 * Lines that are not sensor lines, by construction: binary (random bytes), text without the
 * format's separator (banners, tool errors), and a real row whose status or id cell is a word the
 * tool never prints there.
 */
const nonSensorLine = (format: Format, sensorLines: string[]) => {
  const { sep, index } = KEY_CELL[format];
  const word = fc.stringMatching(/^[g-z]{1,8}$/).filter((w) => !STATUSES.has(w));
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 120 }).map((b) => Buffer.from(b).toString("utf8").replace(/\n/g, " ")),
    fc.string({ minLength: 1, maxLength: 120 }).map((t) => t.replaceAll(sep, " ").replace(/[\r\n]/g, " ")),
    fc.tuple(fc.constantFrom(...sensorLines), word).map(([line, w]) => {
      const cells = line.split(sep);
      // `| a | b |` tables: the key cell counts from the first non-empty cell
      const at = index + (cells[0]?.trim() === "" ? 1 : 0);
      cells[at] = ` ${w} `;
      return cells.join(sep);
    }),
  );
};

describe.each(FORMATS)("parse properties - %s", (format) => {
  const parse = parsers[format];
  const lines = fixtureLines(format);
  // fixture lines that are sensor lines on their own (headers and tool noise left out)
  const sensorLines = lines.filter((l) => parse(l, ctx).length === 1);

  it("fuzz: a non-sensor line never yields a reading, is counted, and never disturbs its neighbours", () => {
    const line = fc.oneof(
      fc.constantFrom(...sensorLines).map((l) => ({ l, sensor: true })),
      nonSensorLine(format, sensorLines).map((l) => ({ l, sensor: false })),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (ls) => {
        const stats = newParseStats();
        const got = parse(ls.map((x) => x.l).join("\n"), ctx, stats);
        const want = ls.filter((x) => x.sensor).flatMap((x) => parse(x.l, ctx));
        expect(got).toEqual(want);
        const junk = ls.filter((x) => !x.sensor && x.l.trim() !== "").length;
        expect(stats.skipped).toBe(junk);
      }),
      { numRuns: 3_000 },
    );
  });

  it("fuzz: 64 KB of random bytes gives no reading at all", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 65_536, maxLength: 65_536 }), (b) => {
        const stats = newParseStats();
        expect(parse(Buffer.from(b).toString("utf8"), ctx, stats)).toEqual([]);
        expect(stats.skipped).toBe(stats.lines);
      }),
      { numRuns: 20 },
    );
  });

  it("10,000 random and mutated captures: never throws, never NaN, always schema-valid", () => {
    fc.assert(
      fc.property(input(lines), (text) => {
        for (const r of parse(text, ctx)) {
          if (r.value !== null && !Number.isFinite(r.value)) return false;
          for (const t of Object.values(r.thresholds ?? {})) if (t !== null && !Number.isFinite(t)) return false;
          if (!validate(readingCheck, r).ok) return false;
        }
        return true;
      }),
      { numRuns: 10_000 },
    );
  });

  it("a missing reading is null, never 0", () => {
    const word = fc
      .tuple(fc.constantFrom(...MISSING), fc.constantFrom("", " ", "   "))
      .map(([w, pad]) => `${pad}${w}${pad}`);
    fc.assert(
      fc.property(fc.constantFrom("FAN1", "Fan 1A Tach", "Fan1B", "System Fan 3"), word, (name, w) => {
        const rs = parse(missingRow[format](name, w), ctx);
        expect(rs).toHaveLength(1);
        expect(rs[0]?.value).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
