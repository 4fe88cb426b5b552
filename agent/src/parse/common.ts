/** Helpers every parser uses: strict numbers, "no reading" words, and safe field lengths. */
import type { Reading, Thresholds } from "@presage/shared";

export type ParseContext = { host: string; ts: number };

const NUM_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A finite number, or null for anything else (`na`, `N/A`, `1e999`, `12abc`). */
export function num(text: string): number | null {
  const t = text.trim();
  if (!NUM_RE.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

const MISSING = new Set(["na", "n/a", "ns", "no reading", "disabled", "not readable", "unavailable", "", "-"]);

/** True for the words tools print instead of a value. */
export function isMissing(text: string): boolean {
  return MISSING.has(text.trim().toLowerCase());
}

/** Split on `|` and trim; tolerant of leading/trailing bars and odd spacing. */
export function cells(line: string, sep = "|"): string[] {
  return line.split(sep).map((c) => c.trim());
}

/** Keep strings inside the schema's limits so a parsed reading always validates. */
export const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);

/** Build a reading with clipped strings; drops rows with no usable name. */
export function reading(
  ctx: ParseContext,
  r: Omit<Reading, "ts" | "host"> & { thresholds?: Partial<Thresholds> | undefined },
): Reading | null {
  const sensor = clip(r.sensor.trim(), 256);
  if (!sensor) return null;
  const out: Reading = { ts: ctx.ts, host: ctx.host, sensor, type: r.type, unit: clip(r.unit, 64), value: r.value };
  if (r.status !== undefined && r.status !== "") out.status = clip(r.status, 64);
  if (r.thresholds && Object.values(r.thresholds).some((v) => v !== null && v !== undefined))
    out.thresholds = r.thresholds;
  if (r.state !== undefined) out.state = clip(r.state, 256);
  return out;
}

/** What a parse saw besides readings: lines that are not sensor lines are skipped and counted. */
export type ParseStats = { lines: number; skipped: number; headers: number; firstSkipped: string | null };

export const newParseStats = (): ParseStats => ({ lines: 0, skipped: 0, headers: 0, firstSkipped: null });

/** A row callback's answer: a reading, a recognised header line, or null (not a sensor line). */
export const HEADER = Symbol("header");
export type RowResult = Reading | typeof HEADER | null;

// control characters (tab aside) and U+FFFD (what invalid UTF-8 decodes to) never appear in BMC tool output
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BINARY_RE = /[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/;

/** A sensor name as BMCs print it: short, printable, with at least one letter or digit. */
export function isSensorName(s: string): boolean {
  const t = s.trim();
  return t.length > 0 && t.length <= 64 && /[A-Za-z0-9]/.test(t);
}

/** The threshold statuses the ipmitool tables print, and the hex state of a discrete `ipmitool sensor` row. */
const STATUS_RE = /^(ok|ns|na|nc|cr|nr|lnc|lcr|lnr|unc|ucr|unr|0x[0-9a-f]{1,8})$/i;
export const isIpmitoolStatus = (s: string) => STATUS_RE.test(s.trim());

/** A unit as the tools print it (`RPM`, `degrees C`, `Volts`, `%`, `unspecified`), or empty. */
export const isUnitText = (s: string) => s === "" || /^[A-Za-z%][A-Za-z0-9 %./_-]{0,31}$/.test(s.trim());

/**
 * Parse lines independently; a line that is not a sensor line is skipped and counted in `stats`
 * (never fatal), so a caller can tell a capture of the wrong tool (or of garbage) from a real one.
 */
export function parseLines(text: string, row: (line: string) => RowResult, stats?: ParseStats): Reading[] {
  const out: Reading[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const r = BINARY_RE.test(line) ? null : row(line);
    if (stats) stats.lines++;
    if (r === HEADER) {
      if (stats) stats.headers++;
    } else if (r) out.push(r);
    else if (stats) {
      stats.skipped++;
      stats.firstSkipped ??= clip(line.trim(), 80);
    }
  }
  return out;
}
