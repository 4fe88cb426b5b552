/**
 * Sensor classification shared by every parser: the unit decides first, then the tool's own type
 * word, and the name only when both are missing (a `no reading` row has no unit). Vendor names
 * refine a sensor's role (inlet vs exhaust vs CPU) but never override a unit.
 */
import type { SensorType } from "@presage/shared";

/** Printed unit -> contract unit and the type it implies. */
const UNITS: Record<string, { unit: string; type: SensorType }> = {
  rpm: { unit: "RPM", type: "fan" },
  "degrees c": { unit: "C", type: "temperature" },
  c: { unit: "C", type: "temperature" },
  "degrees f": { unit: "F", type: "temperature" },
  f: { unit: "F", type: "temperature" },
  volts: { unit: "V", type: "voltage" },
  v: { unit: "V", type: "voltage" },
  amps: { unit: "A", type: "current" },
  a: { unit: "A", type: "current" },
  watts: { unit: "W", type: "power" },
  w: { unit: "W", type: "power" },
  percent: { unit: "%", type: "utilization" },
  "%": { unit: "%", type: "utilization" },
};

/** Tool type words (FreeIPMI's Type column, Redfish ReadingType) -> contract type. */
const TYPE_WORDS: Record<string, SensorType> = {
  fan: "fan",
  temperature: "temperature",
  voltage: "voltage",
  current: "current",
  power: "power",
  utilization: "utilization",
};

const NAME_RULES: [RegExp, SensorType][] = [
  [/\bfan|tach|\bblower/i, "fan"],
  [/temp|therm|ambient|inlet|exhaust|outlet/i, "temperature"],
  [/volt|\bvcc|\bvcore|\bvbat|battery|\d+(\.\d+)?_?v\d*\b|\d+_\d+v\b|\bvdd/i, "voltage"],
  [/curr|\bamps?\b/i, "current"],
  [/\bpwr|power|watt|consumption/i, "power"],
  [/util|usage|\bload\b/i, "utilization"],
];

export type Classified = { type: SensorType; unit: string };

const MARGIN_RE = /\bdts\b|margin/i;

/** Normalise a printed unit ("degrees C" -> "C"); unknown units are kept as printed, trimmed. */
export function normaliseUnit(printed: string): string {
  const p = printed.trim();
  return UNITS[p.toLowerCase()]?.unit ?? p;
}

/**
 * Classify one sensor. `unit` is what the tool printed (may be empty), `typeWord` the tool's own
 * category if it has one. Returns type "other" when nothing is known.
 */
export function classify(name: string, unit: string, typeWord = ""): Classified {
  const u = unit.trim();
  // a margin to Tjmax (Intel `CPU1 DTS`, `Cpu1 Margin`, `P1 Therm Margin`) counts down as the CPU
  // heats and reads in degrees: never a temperature, so nothing judges it as one
  if (MARGIN_RE.test(name)) return { type: "other", unit: UNITS[u.toLowerCase()]?.unit ?? u };
  const byUnit = UNITS[u.toLowerCase()];
  if (byUnit) return { ...byUnit };
  const byWord = TYPE_WORDS[typeWord.trim().toLowerCase()];
  if (byWord) return { type: byWord, unit: u };
  if (u !== "") return { type: "other", unit: u };
  for (const [re, type] of NAME_RULES) if (re.test(name)) return { type, unit: "" };
  return { type: "other", unit: "" };
}

export const SensorRole = {
  Inlet: "inlet",
  Exhaust: "exhaust",
  Cpu: "cpu",
  Memory: "memory",
  Psu: "psu",
  Gpu: "gpu",
  Board: "board",
  Other: "other",
} as const;
export type SensorRole = (typeof SensorRole)[keyof typeof SensorRole];

const ROLE_RULES: [RegExp, SensorRole][] = [
  [/inlet|ambient|intake|front panel|\bamb\b/i, "inlet"],
  [/exhaust|outlet|rear/i, "exhaust"],
  [/\bcpu|\bproc|\bp\d+\b|\bsocket|\bdts\b|vcore/i, "cpu"],
  [/\bdimm|\bmem/i, "memory"],
  [/\bpsu?\d*\b|\bps\s?\d|power supply|pws/i, "psu"],
  [/\bgpu/i, "gpu"],
  [/sys|board|mb\b|pch|planar/i, "board"],
];

/** What a sensor measures, from its vendor name: Supermicro `CPU1 Temp`, Dell `Inlet Temp`, HPE `01-Inlet Ambient`. */
export function sensorRole(name: string): SensorRole {
  for (const [re, role] of ROLE_RULES) if (re.test(name)) return role;
  return "other";
}
