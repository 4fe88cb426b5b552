/** Crafted sensor series for detector tests: a few fans, two CPUs, a rail, power, on a 1-minute grid. */
import type { Reading, SensorEvent } from "@presage/shared";
import type { Detector } from "../../src/detect/index.js";

export const T0 = 1_700_000_000_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;

export type HostSpec = {
  fan?: (j: number, t: number) => number | null;
  fans?: number;
  cpu?: (i: number, t: number) => number | null;
  rail?: (t: number) => number | null;
  powerW?: (t: number) => number;
  fanThresholds?: boolean;
  /** inlet temperature (default 22 C) and whether it carries a BMC's thresholds (unc 38, ucr 42) */
  inlet?: (t: number) => number;
  inletThresholds?: boolean;
  /** whether the CPUs carry a BMC's thresholds (unc 85, ucr 95) */
  cpuThresholds?: boolean;
  extra?: (t: number) => Reading[];
};

export function sampleAt(host: string, s: HostSpec, t: number): Reading[] {
  const ts = T0 + t;
  const out: Reading[] = [];
  for (let j = 0; j < (s.fans ?? 4); j++) {
    const r: Reading = {
      ts,
      host,
      sensor: `FAN${j + 1}`,
      type: "fan",
      unit: "RPM",
      value: s.fan ? s.fan(j, t) : 5_000,
    };
    if (s.fanThresholds !== false) r.thresholds = { lnr: 300, lcr: 600, lnc: 900 };
    out.push(r);
  }
  for (let i = 0; i < 2; i++) {
    const cpu: Reading = {
      ts,
      host,
      sensor: `CPU${i + 1} Temp`,
      type: "temperature",
      unit: "C",
      value: s.cpu ? s.cpu(i, t) : 60,
    };
    if (s.cpuThresholds) cpu.thresholds = { unc: 85, ucr: 95 };
    out.push(cpu);
  }
  const inlet: Reading = { ts, host, sensor: "Inlet Temp", type: "temperature", unit: "C", value: s.inlet?.(t) ?? 22 };
  if (s.inletThresholds) inlet.thresholds = { unc: 38, ucr: 42 };
  out.push(inlet);
  out.push({
    ts,
    host,
    sensor: "12V",
    type: "voltage",
    unit: "V",
    value: s.rail ? s.rail(t) : 12.06,
    thresholds: { lcr: 10.8, ucr: 13.2 },
  });
  out.push({ ts, host, sensor: "PW Consumption", type: "power", unit: "W", value: s.powerW ? s.powerW(t) : 300 });
  if (s.extra) out.push(...s.extra(ts));
  return out;
}

/** Run `spec` for `durationMs` at `stepMs`; returns every event. */
export function run(d: Detector, spec: HostSpec, durationMs: number, stepMs = MIN, host = "h1"): SensorEvent[] {
  const events: SensorEvent[] = [];
  for (let t = 0; t < durationMs; t += stepMs) for (const r of sampleAt(host, spec, t)) events.push(...d.ingest(r));
  return events;
}

/** Deterministic pseudo-noise in [-1, 1) so tests do not depend on Math.random. */
export function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2_147_483_648 - 1;
  };
}

export const q = (v: number, step: number) => Math.round(v / step) * step;
