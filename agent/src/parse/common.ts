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

/** Parse lines independently; a line that cannot be understood is skipped, never fatal. */
export function parseLines(text: string, row: (line: string) => Reading | null): Reading[] {
  const out: Reading[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const r = row(line);
    if (r) out.push(r);
  }
  return out;
}
