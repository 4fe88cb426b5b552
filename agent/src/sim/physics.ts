/**
 * The host's physics between two samples: load per CPU, heat, airflow from the fans of each zone, CPU and
 * peripheral temperatures, and the two zones' PI loops, integrated in steps of at most 10 s so a load burst
 * makes temperatures overshoot for minutes before the ramp-limited fans catch up.
 */
import { CPU_ZONE, PERIPHERAL_ZONE, stepZone, type ZoneCurve, type ZoneLoop } from "./zones.js";

/** Per-host constants drawn once from the host's seed. */
export type HostParams = {
  /** zone of every fan sensor */
  zoneOf: number[];
  /** speed factor of every fan sensor: manufacturing spread, and 0.85-0.92 for B rotors */
  fanFactor: number[];
  curves: [ZoneCurve, ZoneCurve];
  /** duty the BMC forces on every fan when one stops */
  failsafeDuty: number;
  /** C per W from CPU die to air at full airflow, per CPU */
  cpuR: number[];
  /** W at full load, per CPU */
  cpuW: number[];
  idleW: number;
  rackOffsetC: number;
};

/** Dynamic state; a plain object so a noise-free twin can clone it. */
export type HostState = {
  lastTs: number;
  /** host load from the diurnal cycle and a slow random walk */
  load: number;
  ar: number;
  /** per-CPU deviation from the host load (slow random walk) */
  skew: number[];
  /** per-CPU load used last */
  cpuLoad: number[];
  cpuC: number[];
  peripheralC: number;
  zones: [ZoneLoop, ZoneLoop];
};

/** Inputs that hold over one sample interval. */
export type StepInputs = {
  on: boolean;
  inletC: number;
  /** speed of every fan sensor as a fraction of the layout's max, before duty (health x factor) */
  health: number[];
  clog: number;
  paste: number[];
  /** extra load per CPU from bursts */
  burst: number[];
  /** PSU heat pushing the peripheral side, 0..1 */
  psuHeat: number;
  curve: { floor: number; setpointC: number };
  failsafe: boolean;
};

const STEP_S = 10;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const relax = (x: number, target: number, dtS: number, tauS: number) => x + (target - x) * (1 - Math.exp(-dtS / tauS));
/** heat carried away relative to full airflow */
export const cooling = (airflow: number) => (0.15 + 0.85 * clamp(airflow, 0, 1)) ** 0.8;

export const cpuPower = (p: HostParams, i: number, u: number) => 12 + ((p.cpuW[i] as number) - 12) * u;

/** Steady CPU temperature at load u with the given airflow (what the loop settles to). */
export const cpuSteadyC = (p: HostParams, i: number, u: number, inletC: number, paste: number, airflow: number) =>
  inletC + 3 + (cpuPower(p, i, u) * (p.cpuR[i] as number) * paste) / cooling(airflow);

/** Per-sensor fan speed as a fraction of the layout's max at the zones' current duty. */
export function fanSpeeds(p: HostParams, s: HostState, x: StepInputs): number[] {
  return x.health.map((h, j) => {
    if (!x.on) return 0;
    const duty = x.failsafe ? p.failsafeDuty : (s.zones[p.zoneOf[j] as number] as ZoneLoop).duty;
    return duty * h * (p.fanFactor[j] as number);
  });
}

/** Airflow seen by the CPUs (their zone counts fully, the other zone a third) or by the peripheral side. */
export function airflow(p: HostParams, speeds: number[], clog: number, zone: number): number {
  let sum = 0;
  let w = 0;
  speeds.forEach((v, j) => {
    const k = p.zoneOf[j] === zone ? 1 : 0.35;
    sum += k * v;
    w += k;
  });
  return w ? (sum / w) * (1 - clog) : 0;
}

/** Advance the state by dt ms with per-CPU load `cpuLoad` held. */
export function integrate(p: HostParams, s: HostState, x: StepInputs, cpuLoad: number[], dtMs: number): void {
  const steps = Math.max(1, Math.min(360, Math.ceil(dtMs / 1000 / STEP_S)));
  const dtS = dtMs / 1000 / steps;
  const curves = p.curves.map((c) => ({
    ...c,
    minDuty: clamp(c.minDuty * x.curve.floor, 0.1, 1),
    setpointC: c.setpointC + x.curve.setpointC,
  }));
  const u = cpuLoad.reduce((a, b) => a + b, 0) / Math.max(1, cpuLoad.length);
  for (let k = 0; k < steps; k++) {
    const speeds = fanSpeeds(p, s, x);
    const aCpu = airflow(p, speeds, x.clog, CPU_ZONE);
    const aPer = airflow(p, speeds, x.clog, PERIPHERAL_ZONE);
    s.cpuC = s.cpuC.map((c, i) => {
      const target = x.on ? cpuSteadyC(p, i, cpuLoad[i] as number, x.inletC, x.paste[i] as number, aCpu) : x.inletC + 2;
      return relax(c, target, dtS, 90);
    });
    const perTarget = x.on ? x.inletC + (8 + 4 * u + 6 * x.psuHeat) / cooling(aPer) : x.inletC + 1;
    s.peripheralC = relax(s.peripheralC, perTarget, dtS, 300);
    if (!x.on) continue;
    stepZone(s.zones[0], Math.max(...s.cpuC), curves[0] as ZoneCurve, dtS);
    stepZone(s.zones[1], s.peripheralC, curves[1] as ZoneCurve, dtS);
  }
}

/** Per-CPU load: the host load scaled by each CPU's own drift, plus bursts (mostly on one CPU). */
export const perCpuLoad = (s: HostState, u: number, burst: number[]) =>
  s.skew.map((k, i) => clamp(u * (1 + k) + (burst[i] ?? 0), 0.02, 1));

/** The host load's diurnal cycle and slow random walk; the CPUs' drift. `normal` is 0 for a noise-free twin. */
export function stepLoad(s: HostState, ts: number, dtMs: number, normal: () => number): number {
  const day = (ts % 86_400_000) / 86_400_000;
  const diurnal = 0.4 + 0.2 * Math.sin(2 * Math.PI * (day - 0.35));
  const a = Math.exp(-dtMs / 1_800_000);
  s.ar = s.ar * a + 0.08 * Math.sqrt(1 - a * a) * normal();
  const b = Math.exp(-dtMs / 1_200_000);
  s.skew = s.skew.map((k) => k * b + 0.03 * Math.sqrt(1 - b * b) * normal());
  return clamp(diurnal + s.ar, 0.03, 1);
}
