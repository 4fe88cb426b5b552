/** `ipmitool sdr elist`: `Name | 01h | ok | 7.1 | 45 degrees C` (id in hex, entity, reading or discrete state). */
import type { Reading } from "@presage/shared";
import type { ParseContext } from "./common.js";
import { parseLines } from "./common.js";
import { tableCells, valueCell } from "./ipmitool-sdr.js";

export function parseIpmitoolSdrElist(text: string, ctx: ParseContext): Reading[] {
  return parseLines(text, (line) => {
    const c = tableCells(line);
    // a discrete row with nothing asserted ends in an empty cell, which tableCells drops
    if (c.length < 4) return null;
    return valueCell(ctx, c[0] as string, c.slice(4).join(" | "), c[2] as string);
  });
}
