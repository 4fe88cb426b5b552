/** A host's true physical values as its BMC reports them: vendor names and units, quantization, thresholds. */
import type { Reading, SensorType, Thresholds } from "@presage/shared";
import { bmcStatus } from "./bmc.js";
import { tachReading, type VendorLayout } from "./vendors.js";

/** True values at one sample time; null where the BMC has no reading. */
export type Snapshot = {
  ts: number;
  on: boolean;
  /** true speed of every fan sensor, RPM (null while hot-swapping) */
  rpm: (number | null)[];
  cpuC: number[];
  inletC: number;
  exhaustC: number;
  peripheralC: number;
  psuC: number[];
  /** per-supply output, in the layout's psuOutputs unit */
  psuOut: number[];
  /** per-rail volts; null = powered off */
  railV: (number | null)[];
  powerW: number;
  utilization: number;
};

export type EmitOptions = {
  host: string;
  layout: VendorLayout;
  /** this host's BMC publishes thresholds */
  thresholds: boolean;
  /** RPM step of a step tach */
  quantum: number;
  /** standard normal draw, 0 for a noise-free twin */
  normal: () => number;
};

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const quant = (x: number, q: number) => Math.round(x / q) * q;

export function fanThresholds(L: VendorLayout): Partial<Thresholds> {
  return L.fanUnit === "%"
    ? { lcr: L.fanLcr, lnc: L.fanLcr * 1.5 }
    : { lnr: L.fanLcr * 0.5, lcr: L.fanLcr, lnc: L.fanLcr * 1.5 };
}

export function emitReadings(s: Snapshot, o: EmitOptions): Reading[] {
  const L = o.layout;
  const n = o.normal;
  const out: Reading[] = [];
  const add = (sensor: string, type: SensorType, unit: string, value: number | null, t?: Partial<Thresholds>) => {
    const r: Reading = { ts: s.ts, host: o.host, sensor, type, unit, value };
    if (o.thresholds && t) {
      r.status = bmcStatus(value, t);
      r.thresholds = t;
    }
    out.push(r);
  };
  const fanT = fanThresholds(L);
  L.fans.forEach((name, j) => {
    const rpm = s.rpm[j] ?? null;
    const v = rpm === null ? null : tachReading(L, Math.max(0, rpm * (1 + 0.004 * n())), o.quantum);
    add(name, "fan", L.fanUnit, v, fanT);
  });
  const temp = (x: number) => Math.round(x + 0.3 * n());
  L.cpus.forEach((name, i) => {
    add(name, "temperature", "C", s.on ? temp(s.cpuC[i] as number) : null, { unc: L.cpuUcr - 10, ucr: L.cpuUcr });
  });
  add(L.inlet, "temperature", "C", Math.round(s.inletC), { unc: 38, ucr: 42 });
  if (L.exhaust) add(L.exhaust, "temperature", "C", temp(s.exhaustC), { unc: 70, ucr: 75 });
  if (L.peripheral) add(L.peripheral, "temperature", "C", temp(s.peripheralC), { unc: 80, ucr: 90 });
  L.psuTemps.forEach((name, i) => {
    add(name, "temperature", "C", temp(s.psuC[i] as number), { unc: 60, ucr: 70 });
  });
  if (L.psuOutputs) {
    const cur = L.psuOutputs.type === "current";
    L.psuOutputs.names.forEach((name, i) => {
      const v = s.psuOut[i] as number;
      add(name, L.psuOutputs?.type ?? "power", cur ? "A" : "W", cur ? round(quant(v, 0.2), 1) : Math.round(v));
    });
  }
  L.rails.forEach((rail, k) => {
    const v = s.railV[k] ?? null;
    add(rail.name, "voltage", "V", v === null ? null : round(quant(v, rail.quantum), 3), {
      lcr: round(rail.nominal * 0.9, 2),
      ucr: round(rail.nominal * 1.1, 2),
    });
  });
  add(L.power, "power", "W", quant(s.powerW, L.powerQuantum));
  if (L.utilization) add(L.utilization, "utilization", "%", s.on ? Math.round(100 * s.utilization) : 0);
  return out;
}
