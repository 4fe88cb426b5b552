import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readingCheck, validate } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORMATS, type Format, parsers } from "../../src/parse/index.js";

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

describe.each(FORMATS)("parse properties - %s", (format) => {
  const parse = parsers[format];
  const lines = fixtureLines(format);

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
