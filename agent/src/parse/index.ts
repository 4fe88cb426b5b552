/** The five capture formats of docs/contract.md section 3, by name. Parsers are pure and never throw. */
import type { Reading } from "@presage/shared";
import type { ParseContext, ParseStats } from "./common.js";
import { parseFreeipmiCsv } from "./freeipmi.js";
import { parseIpmitoolSdr } from "./ipmitool-sdr.js";
import { parseIpmitoolSdrElist } from "./ipmitool-sdr-elist.js";
import { parseIpmitoolSensor } from "./ipmitool-sensor.js";

export const Format = {
  IpmitoolSdr: "ipmitool-sdr",
  IpmitoolSdrElist: "ipmitool-sdr-elist",
  IpmitoolSensor: "ipmitool-sensor",
  FreeipmiSensors: "freeipmi-sensors",
  Ipmimonitoring: "ipmimonitoring",
} as const;
export type Format = (typeof Format)[keyof typeof Format];

/** Readings of every sensor line; other lines are skipped and, given `stats`, counted there. */
export type Parser = (text: string, ctx: ParseContext, stats?: ParseStats) => Reading[];

export const parsers = {
  "ipmitool-sdr": parseIpmitoolSdr,
  "ipmitool-sdr-elist": parseIpmitoolSdrElist,
  "ipmitool-sensor": parseIpmitoolSensor,
  "freeipmi-sensors": parseFreeipmiCsv,
  ipmimonitoring: parseFreeipmiCsv,
} satisfies Record<Format, Parser>;

export const FORMATS = Object.values(Format);

export function isFormat(f: string): f is Format {
  return (FORMATS as string[]).includes(f);
}

export { classify, normaliseUnit, SensorRole, sensorRole } from "./classify.js";
export { newParseStats, type ParseContext, type ParseStats } from "./common.js";
export { parseFreeipmiCsv, parseIpmitoolSdr, parseIpmitoolSdrElist, parseIpmitoolSensor };
