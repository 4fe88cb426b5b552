/** BMC sensor layouts as different vendors present them: names, quantization, and which thresholds exist. */

export type RailSpec = { name: string; nominal: number; quantum: number; psu?: 1 | 2 };

export type VendorLayout = {
  name: string;
  fans: string[];
  /** RPM at 100% duty; dual-rotor fans have a slower B rotor */
  fanMaxRpm: number;
  /** per-fan speed factor (B rotors of dual fans run slower) */
  fanRotor: number[];
  /** tach step in RPM */
  fanQuantum: number;
  cpus: string[];
  inlet: string;
  exhaust: string | null;
  /** PSU temperature sensors, one per supply (PSU aging creeps these) */
  psuTemps: string[];
  rails: RailSpec[];
  power: string;
  /** power reading step in W */
  powerQuantum: number;
  /** whether the BMC publishes thresholds (and so status words) */
  thresholds: boolean;
  fanLcr: number;
  cpuUcr: number;
};

const dual = (n: number, name: (i: number, ab: string) => string) =>
  Array.from({ length: n }, (_, i) => [name(i + 1, "A"), name(i + 1, "B")]).flat();

export const VENDORS: Record<string, VendorLayout> = {
  supermicro: {
    name: "supermicro",
    fans: ["FAN1", "FAN2", "FAN3", "FAN4", "FAN5", "FAN6"],
    fanMaxRpm: 9_000,
    fanRotor: [1, 1, 1, 1, 1, 1],
    fanQuantum: 100,
    cpus: ["CPU1 Temp", "CPU2 Temp"],
    inlet: "Inlet Temp",
    exhaust: "System Temp",
    psuTemps: [],
    rails: [
      { name: "12V", nominal: 12, quantum: 0.064 },
      { name: "5VCC", nominal: 5, quantum: 0.026 },
      { name: "3.3VCC", nominal: 3.3, quantum: 0.017 },
    ],
    power: "PW Consumption",
    powerQuantum: 10,
    thresholds: true,
    fanLcr: 700,
    cpuUcr: 95,
  },
  dell: {
    name: "dell",
    fans: dual(4, (i, ab) => `Fan${i}${ab}`),
    fanMaxRpm: 14_000,
    fanRotor: [1, 0.86, 1, 0.86, 1, 0.86, 1, 0.86],
    fanQuantum: 120,
    cpus: ["CPU1 Temp", "CPU2 Temp"],
    inlet: "Inlet Temp",
    exhaust: "Exhaust Temp",
    psuTemps: [],
    rails: [
      { name: "PS1 12V", nominal: 12, quantum: 0.06, psu: 1 },
      { name: "PS2 12V", nominal: 12, quantum: 0.06, psu: 2 },
    ],
    power: "Pwr Consumption",
    powerQuantum: 14,
    thresholds: true,
    fanLcr: 480,
    cpuUcr: 93,
  },
  hpe: {
    name: "hpe",
    fans: ["Fan 1", "Fan 2", "Fan 3", "Fan 4", "Fan 5", "Fan 6", "Fan 7"],
    fanMaxRpm: 12_000,
    fanRotor: [1, 1, 1, 1, 1, 1, 1],
    fanQuantum: 1,
    cpus: ["02-CPU 1", "03-CPU 2"],
    inlet: "01-Inlet Ambient",
    exhaust: "14-Exhaust",
    psuTemps: ["32-P/S 1 Inlet", "33-P/S 2 Inlet"],
    rails: [
      { name: "12V", nominal: 12, quantum: 0.01 },
      { name: "5V", nominal: 5, quantum: 0.01 },
    ],
    power: "Power Meter",
    powerQuantum: 1,
    thresholds: false,
    fanLcr: 0,
    cpuUcr: 0,
  },
  lenovo: {
    name: "lenovo",
    fans: dual(6, (i, ab) => `Fan ${i}${ab} Tach`),
    fanMaxRpm: 21_000,
    fanRotor: Array.from({ length: 12 }, (_, i) => (i % 2 ? 0.83 : 1)),
    fanQuantum: 166,
    cpus: ["CPU 1 Temp", "CPU 2 Temp"],
    inlet: "Ambient Temp",
    exhaust: null,
    psuTemps: ["PSU1 Temp", "PSU2 Temp"],
    rails: [
      { name: "SysBrd 12V", nominal: 12, quantum: 0.06 },
      { name: "SysBrd 5V", nominal: 5, quantum: 0.03 },
      { name: "SysBrd 3.3V", nominal: 3.3, quantum: 0.02 },
    ],
    power: "Sys Power",
    powerQuantum: 5,
    thresholds: true,
    fanLcr: 1_500,
    cpuUcr: 98,
  },
};

export const VENDOR_NAMES = Object.keys(VENDORS);
