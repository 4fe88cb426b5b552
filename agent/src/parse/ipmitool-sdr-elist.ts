/** `ipmitool sdr elist`: `Name | 01h | ok | 7.1 | 45 degrees C` (id in hex, entity, reading or discrete state). */
import type { Reading } from "@presage/shared";
import type { ParseContext, ParseStats } from "./common.js";
import { parseLines } from "./common.js";
import { tableCells, valueCell } from "./ipmitool-sdr.js";

const ID_RE = /^[0-9a-f]{1,4}h$/i;
const ENTITY_RE = /^\d{1,3}\.\d{1,3}$/;

export function parseIpmitoolSdrElist(text: string, ctx: ParseContext, stats?: ParseStats): Reading[] {
  return parseLines(
    text,
    (line) => {
      const c = tableCells(line);
      // a discrete row with nothing asserted ends in an empty cell, which tableCells drops
      if (c.length !== 4 && c.length !== 5) return null;
      if (!ID_RE.test(c[1] as string) || !ENTITY_RE.test(c[3] as string)) return null;
      return valueCell(ctx, c[0] as string, c[4] ?? "", c[2] as string);
    },
    stats,
  );
}
