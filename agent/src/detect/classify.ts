/** Sensor roles: by type and unit first, by name only to refine (CONTRACT section 1). */
import type { Reading } from "@presage/shared";

export const Role = {
  Fan: "fan",
  Cpu: "cpu",
  Inlet: "inlet",
  OtherTemp: "temp",
  Rail: "rail",
  Battery: "battery",
  Power: "power",
  PsuOutput: "psu-output",
  Ignore: "ignore",
} as const;
export type Role = (typeof Role)[keyof typeof Role];

const NOMINALS = [1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.8, 2.5, 3.3, 5, 12, 48];

/** Nominal volts from the name ("12V", "P3V3", "5VCC", "PS1 12V") or by snapping the first value (within 6%). */
export function railNominal(name: string, firstValue: number): number | null {
  const m = /(\d+(?:\.\d+)?)\s*V(?![a-z])/i.exec(name) ?? /(\d+)V(\d+)/i.exec(name);
  if (m) {
    const v = m[2] !== undefined && /\d+V\d+/i.test(m[0]) ? Number(`${m[1]}.${m[2]}`) : Number(m[1]);
    if (NOMINALS.includes(v)) return v;
  }
  for (const n of NOMINALS) if (Math.abs(firstValue - n) <= n * 0.06) return n;
  return null;
}

/** PSU output sensors: "Power Supply 1", "PS1 Input Power", "PSU2 Output", Dell's per-supply "Current 1" */
const PSU_OUTPUT = /^ps ?\d|psu|power ?supply/i;
const PSU_CURRENT = /^(current|ps ?\d|psu|power ?supply)/i;

/** names as the regexes read them: firmware that renames "Power Supply 1" to "Power_Supply_1" means the same */
const spaced = (name: string) => name.replace(/_/g, " ");

export function classify(r: Reading): Role {
  const u = r.unit.toUpperCase();
  const name = spaced(r.sensor);
  switch (r.type) {
    case "fan":
      return u === "RPM" || u === "%" ? Role.Fan : Role.Ignore;
    case "temperature": {
      // a supply's own inlet ("32-P/S 1 Inlet", "PS1 Inlet Temp") is the supply's heat, not the room's
      if (/p\/s|^\d*-?ps ?\d|psu|power ?supply/i.test(name)) return Role.OtherTemp;
      if (/inlet|ambient|intake|room/i.test(name)) return Role.Inlet;
      // Intel DTS / margin sensors count down to Tjmax: not a temperature to compare with a twin
      if (/\bdts\b|margin/i.test(name)) return Role.OtherTemp;
      if (/vr|dimm|mem|pch|gpu|nvme|disk|drive/i.test(name)) return Role.OtherTemp;
      if (/cpu|proc|socket|^temp( \d+)?$/i.test(name)) return Role.Cpu; // Dell: Temp, Temp_2
      return Role.OtherTemp;
    }
    case "voltage":
      if (u !== "V") return Role.Ignore;
      return /bat|cmos|rtc/i.test(name) ? Role.Battery : Role.Rail;
    case "power":
      if (u !== "W") return Role.Ignore;
      return PSU_OUTPUT.test(name) ? Role.PsuOutput : Role.Power;
    case "current":
      return u === "A" && PSU_CURRENT.test(name) ? Role.PsuOutput : Role.Ignore;
    default:
      return Role.Ignore;
  }
}

export const isPsuName = (name: string) => /^ps\d|psu|power ?supply|^ps ?\d/i.test(spaced(name));
