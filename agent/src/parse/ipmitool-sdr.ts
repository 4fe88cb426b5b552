/**
 * `ipmitool sdr` (list): `Name | value unit | status`.
 * `0x..` and `Not Readable` rows are discrete sensors: kept with their state, value null.
 */
import type { Reading } from "@presage/shared";
import { classify } from "./classify.js";
import {
  cells,
  isIpmitoolStatus,
  isMissing,
  isSensorName,
  isUnitText,
  num,
  type ParseContext,
  type ParseStats,
  parseLines,
  reading,
} from "./common.js";

/** Cells of an ipmitool table row without the empty ends of `| a | b |`. */
export function tableCells(line: string): string[] {
  const c = cells(line);
  if (c.length > 1 && c[0] === "") c.shift();
  if (c.length > 1 && c[c.length - 1] === "") c.pop();
  return c;
}

const HEX_RE = /^0x[0-9a-f]+$/i;

/**
 * Interpret a value cell such as `26 degrees C`, `0 RPM`, `no reading`, `0x00`, `Presence detected`,
 * or `105 Watts, Presence detected` (a reading followed by the sensor's asserted states, as some
 * BMCs print in `sdr elist`: the states after the comma are not part of the unit).
 * Shared by `sdr` and `sdr elist`, which print the same cell. Null when the row is not a sensor row.
 */
export function valueCell(ctx: ParseContext, name: string, text: string, status: string): Reading | null {
  if (!isSensorName(name) || !isIpmitoolStatus(status)) return null;
  const t = text.trim();
  const m = /^(\S+)\s*(.*)$/.exec(t);
  const value = m ? num(m[1] as string) : null;
  if (value !== null) {
    const unit = (m?.[2] ?? "").split(",")[0]?.trim() ?? "";
    if (!isUnitText(unit)) return null;
    return reading(ctx, { sensor: name, ...classify(name, unit), value, status });
  }
  const lower = t.toLowerCase();
  const discrete = HEX_RE.test(t) || lower === "not readable" || (!isMissing(t) && lower !== "");
  if (discrete || (t === "" && status.toLowerCase() !== "ns")) {
    return reading(ctx, { sensor: name, type: "other", unit: "", value: null, status, state: t || status });
  }
  // a threshold sensor without a reading: the unit is unknown, so the name is all we have
  const c = classify(name, "");
  return reading(ctx, { sensor: name, ...c, value: null, status });
}

export function parseIpmitoolSdr(text: string, ctx: ParseContext, stats?: ParseStats): Reading[] {
  return parseLines(
    text,
    (line) => {
      const c = tableCells(line);
      if (c.length !== 3) return null;
      return valueCell(ctx, c[0] as string, c[1] as string, c[2] as string);
    },
    stats,
  );
}
