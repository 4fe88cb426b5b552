/** BMC sensor layouts as different vendors present them: names, units, tach quantization, thresholds. */

export type RailSpec = { name: string; nominal: number; quantum: number; psu?: 1 | 2 };

/**
 * How the BMC turns a fan's true speed into a number: fixed RPM steps (one step drawn per host), a period-count
 * tach (the BMC counts clock ticks per revolution, so RPM = clockRpm / count and steps grow with speed), or the
 * fan's speed as a duty percentage in 1/255 steps (HPE iLO).
 */
export type TachSpec =
  | { kind: "step"; quanta: number[] }
  | { kind: "period"; clockRpm: number }
  | { kind: "duty"; levels: number };

export type VendorLayout = {
  name: string;
  /** fan sensor names; dual-rotor fans list rotor A then rotor B of each fan */
  fans: string[];
  /** two rotors per fan (sensor 2k is rotor A of fan k, 2k+1 its B rotor) */
  dualRotor: boolean;
  fanUnit: "RPM" | "%";
  /** speed at 100 % duty */
  fanMaxRpm: number;
  tach: TachSpec;
  cpus: string[];
  inlet: string;
  exhaust: string | null;
  /** the temperature the peripheral fan zone follows, when the BMC shows it */
  peripheral: string | null;
  /** PSU temperature sensors, one per supply (PSU aging creeps these) */
  psuTemps: string[];
  /** per-supply output sensors (current in A or power in W), one per supply */
  psuOutputs: { names: string[]; type: "current" | "power" } | null;
  rails: RailSpec[];
  power: string;
  /** power reading step in W */
  powerQuantum: number;
  /** BMC-reported CPU utilization sensor, where the vendor has one */
  utilization: string | null;
  /** whether this vendor's BMCs usually publish thresholds (a fleet may override per host) */
  thresholds: boolean;
  /** the fan's failure point (its lower-critical threshold, published or not), in fanUnit */
  fanLcr: number;
  /** a CPU's failure point (upper-critical, published or not), C */
  cpuUcr: number;
};

const dual = (n: number, name: (i: number, ab: string) => string) =>
  Array.from({ length: n }, (_, i) => [name(i + 1, "A"), name(i + 1, "B")]).flat();

export const VENDORS: Record<string, VendorLayout> = {
  supermicro: {
    name: "supermicro",
    fans: ["FAN1", "FAN2", "FAN3", "FAN4", "FANA", "FANB"],
    dualRotor: false,
    fanUnit: "RPM",
    fanMaxRpm: 9_000,
    tach: { kind: "step", quanta: [100] },
    cpus: ["CPU1 Temp", "CPU2 Temp"],
    inlet: "Inlet Temp",
    exhaust: "System Temp",
    peripheral: "Peripheral Temp",
    psuTemps: [],
    psuOutputs: null,
    rails: [
      { name: "12V", nominal: 12, quantum: 0.064 },
      { name: "5VCC", nominal: 5, quantum: 0.026 },
      { name: "3.3VCC", nominal: 3.3, quantum: 0.017 },
    ],
    power: "PW Consumption",
    powerQuantum: 10,
    utilization: null,
    thresholds: true,
    fanLcr: 500,
    cpuUcr: 95,
  },
  dell: {
    name: "dell",
    fans: dual(4, (i, ab) => `Fan${i}${ab}`),
    dualRotor: true,
    fanUnit: "RPM",
    fanMaxRpm: 14_000,
    tach: { kind: "step", quanta: [120, 240] },
    cpus: ["CPU1 Temp", "CPU2 Temp"],
    inlet: "Inlet Temp",
    exhaust: "Exhaust Temp",
    peripheral: null,
    psuTemps: [],
    psuOutputs: { names: ["Current 1", "Current 2"], type: "current" },
    rails: [
      { name: "PS1 12V", nominal: 12, quantum: 0.06, psu: 1 },
      { name: "PS2 12V", nominal: 12, quantum: 0.06, psu: 2 },
    ],
    power: "Pwr Consumption",
    powerQuantum: 14,
    utilization: "CPU Usage",
    thresholds: true,
    fanLcr: 600,
    cpuUcr: 93,
  },
  hpe: {
    name: "hpe",
    fans: ["Fan 1", "Fan 2", "Fan 3", "Fan 4", "Fan 5", "Fan 6"],
    dualRotor: false,
    fanUnit: "%",
    fanMaxRpm: 12_000,
    tach: { kind: "duty", levels: 255 },
    cpus: ["02-CPU 1", "03-CPU 2"],
    inlet: "01-Inlet Ambient",
    exhaust: "14-Exhaust",
    peripheral: "12-Chipset",
    psuTemps: ["32-P/S 1 Inlet", "33-P/S 2 Inlet"],
    psuOutputs: { names: ["Power Supply 1", "Power Supply 2"], type: "power" },
    rails: [],
    power: "Power Meter",
    powerQuantum: 1,
    utilization: null,
    thresholds: false,
    fanLcr: 10,
    cpuUcr: 95,
  },
  lenovo: {
    name: "lenovo",
    fans: dual(6, (i, ab) => `Fan ${i}${ab} Tach`),
    dualRotor: true,
    fanUnit: "RPM",
    fanMaxRpm: 21_000,
    tach: { kind: "period", clockRpm: 1_125_000 },
    cpus: ["CPU 1 Temp", "CPU 2 Temp"],
    inlet: "Ambient Temp",
    exhaust: null,
    peripheral: null,
    psuTemps: ["PSU1 Temp", "PSU2 Temp"],
    psuOutputs: null,
    rails: [
      { name: "SysBrd 12V", nominal: 12, quantum: 0.06 },
      { name: "SysBrd 5V", nominal: 5, quantum: 0.03 },
      { name: "SysBrd 3.3V", nominal: 3.3, quantum: 0.02 },
    ],
    power: "Sys Power",
    powerQuantum: 5,
    utilization: "CPU Utilization",
    thresholds: true,
    fanLcr: 1_500,
    cpuUcr: 98,
  },
};

export const VENDOR_NAMES = Object.keys(VENDORS);

/** Physical fan index of fan sensor j (both rotors of a dual-rotor fan share one). */
export const fanOf = (L: VendorLayout, j: number) => (L.dualRotor ? j >> 1 : j);
export const physicalFans = (L: VendorLayout) => (L.dualRotor ? L.fans.length >> 1 : L.fans.length);

/** What the BMC reports for a true speed; `quantum` is the host's RPM step for step tachs. */
export function tachReading(L: VendorLayout, rpm: number, quantum: number): number {
  const t = L.tach;
  if (rpm <= 0) return 0;
  if (t.kind === "duty") return Math.round((Math.round((rpm / L.fanMaxRpm) * t.levels) / t.levels) * 10_000) / 100;
  if (t.kind === "period") {
    const count = Math.max(1, Math.round(t.clockRpm / rpm));
    // the BMC cannot count below one tick per revolution's worth of time: no reading past the clock
    return count > 2_000 ? 0 : Math.round(t.clockRpm / count);
  }
  return Math.round(rpm / quantum) * quantum;
}
