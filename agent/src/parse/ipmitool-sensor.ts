/**
 * `ipmitool sensor`: `name | value | unit | status | lnr | lcr | lnc | unc | ucr | unr`.
 * Discrete rows print `discrete` as their unit and a hex state as their value.
 */
import type { Reading, Thresholds } from "@presage/shared";
import { classify } from "./classify.js";
import { num, type ParseContext, parseLines, reading } from "./common.js";
import { tableCells } from "./ipmitool-sdr.js";

const TH_KEYS = ["lnr", "lcr", "lnc", "unc", "ucr", "unr"] as const;

export function parseIpmitoolSensor(text: string, ctx: ParseContext): Reading[] {
  return parseLines(text, (line) => {
    const c = tableCells(line);
    if (c.length < 4) return null;
    const [name, valueText, unit, status] = c as [string, string, string, string];
    if (unit.toLowerCase() === "discrete") {
      return reading(ctx, { sensor: name, type: "other", unit: "", value: null, status, state: valueText });
    }
    const thresholds: Partial<Thresholds> = {};
    TH_KEYS.forEach((k, i) => {
      const cell = c[4 + i];
      if (cell !== undefined) thresholds[k] = num(cell);
    });
    return reading(ctx, { sensor: name, ...classify(name, unit), value: num(valueText), status, thresholds });
  });
}
