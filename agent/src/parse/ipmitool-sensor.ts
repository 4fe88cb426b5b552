/**
 * `ipmitool sensor`: `name | value | unit | status | lnr | lcr | lnc | unc | ucr | unr`.
 * Discrete rows print `discrete` as their unit and a hex state as their value.
 */
import type { Reading, Thresholds } from "@presage/shared";
import { classify } from "./classify.js";
import {
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
import { tableCells } from "./ipmitool-sdr.js";

const TH_KEYS = ["lnr", "lcr", "lnc", "unc", "ucr", "unr"] as const;
const HEX_RE = /^0x[0-9a-f]+$/i;
const numOrMissing = (s: string) => num(s) !== null || isMissing(s);

export function parseIpmitoolSensor(text: string, ctx: ParseContext, stats?: ParseStats): Reading[] {
  return parseLines(
    text,
    (line) => {
      const c = tableCells(line);
      if (c.length !== 10) return null;
      const [name, valueText, unit, status] = c as [string, string, string, string];
      if (!isSensorName(name) || !isIpmitoolStatus(status) || !c.slice(4).every(numOrMissing)) return null;
      if (unit.toLowerCase() === "discrete") {
        if (!HEX_RE.test(valueText) && !isMissing(valueText)) return null;
        return reading(ctx, { sensor: name, type: "other", unit: "", value: null, status, state: valueText });
      }
      if (!numOrMissing(valueText) || !isUnitText(unit)) return null;
      const thresholds: Partial<Thresholds> = {};
      TH_KEYS.forEach((k, i) => {
        const cell = c[4 + i];
        if (cell !== undefined) thresholds[k] = num(cell);
      });
      return reading(ctx, { sensor: name, ...classify(name, unit), value: num(valueText), status, thresholds });
    },
    stats,
  );
}
