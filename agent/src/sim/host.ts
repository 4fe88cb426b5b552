/**
 * A simulated server: per-CPU load -> power and heat -> two PI-controlled fan zones -> temperatures, supplies,
 * rails -> quantized BMC readings. Faults and confounders are functions of time (faults.ts), so the model can be
 * run forward without noise to predict when the BMC's own threshold would fire.
 */
import type { Reading } from "@presage/shared";
import { bmcCritical } from "./bmc.js";
import { type Confounder, Effects, type Fault, faultProblem } from "./faults.js";
import type { HostModel } from "./model.js";
import {
  cpuPower,
  cpuSteadyC,
  fanSpeeds,
  type HostParams,
  type HostState,
  integrate,
  perCpuLoad,
  type StepInputs,
  stepLoad,
} from "./physics.js";
import { emitReadings, type Snapshot } from "./readings.js";
import { createRng, hashSeed, type Rng } from "./rng.js";
import { VENDORS, type VendorLayout } from "./vendors.js";
import { drawZoneCurves, drawZoneLayout } from "./zones.js";

export type { Confounder, Fault } from "./faults.js";
export { VENDOR_NAMES, VENDORS, type VendorLayout } from "./vendors.js";

export type HostModelOptions = {
  host: string;
  seed: number;
  /** a layout or a name from VENDORS; default supermicro */
  vendor?: VendorLayout | string;
  /** whether the BMC publishes thresholds; default: the vendor's usual */
  thresholds?: boolean;
  /** the host draws its own load bursts (default true; a fleet plans them as confounders instead) */
  randomBursts?: boolean;
};

export type FaultTruth = { fault: Fault; failureAt: number | null };

export interface SimHost extends HostModel {
  readonly layout: VendorLayout;
  /** this host's BMC publishes thresholds (and so status words) */
  readonly thresholds: boolean;
  /** fan zone (0 CPU, 1 peripheral) of every fan sensor, as drawn for this host */
  readonly zones: readonly number[];
  /** throws a clear error for a fault this host cannot have (unknown kind, fan index out of range, ...) */
  injectFault(f: Fault): void;
  applyConfounder(c: Confounder): void;
  /** 0..1 override of the host's own load process; null returns to it */
  setLoad(u: number | null): void;
  /** room (cold aisle) temperature in C; null = default 22 C with a small daily swing */
  setRoomC(c: number | null): void;
  /** powered off: fans 0 RPM, CPU temperatures no reading, 0 W (as FASRC hosts during an outage) */
  setPower(on: boolean): void;
  /** current host load 0..1 (mean over CPUs) */
  readonly load: number;
  /** per injected fault, when its failure point was first crossed in what was sampled so far */
  truth(): FaultTruth[];
  /** when the BMC's own critical threshold would first fire, running the model forward from `from` without noise */
  predictBmcAlarm(from: number, limitMs?: number, stepMs?: number): number | null;
}

const HOUR = 3_600_000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export function createHostModel(opts: HostModelOptions): SimHost {
  return new Host(opts, true);
}

/** Manufacturing spread per fan; a B rotor turns 8-15 % slower than the A rotor of the same fan. */
function fanFactors(L: VendorLayout, r: Rng): number[] {
  const out: number[] = [];
  L.fans.forEach((_, j) => {
    out.push(L.dualRotor && j % 2 ? (out[j - 1] as number) * (0.86 + 0.05 * r.next()) : 0.97 + 0.06 * r.next());
  });
  return out;
}

function drawParams(L: VendorLayout, r: Rng): HostParams {
  return {
    zoneOf: drawZoneLayout(L, r),
    fanFactor: fanFactors(L, r),
    curves: drawZoneCurves(r),
    failsafeDuty: 0.64 + 0.36 * r.next(),
    cpuR: L.cpus.map(() => 0.26 + 0.04 * r.next()),
    cpuW: L.cpus.map(() => 110 + 15 * r.next()),
    idleW: 110 + 50 * r.next(),
    rackOffsetC: 3 * r.next() - 1,
  };
}

class Host implements SimHost {
  readonly host: string;
  readonly layout: VendorLayout;
  readonly thresholds: boolean;
  readonly zones: readonly number[];
  readonly #opts: HostModelOptions;
  readonly #rng: Rng;
  readonly #noise: boolean;
  readonly #fx = new Effects();
  readonly #truth: FaultTruth[] = [];
  readonly #p: HostParams;
  readonly #quantum: number;
  readonly #railOffset: number[];
  readonly #share1: number;
  #loadOverride: number | null = null;
  #roomC: number | null = null;
  #on = true;
  #d: HostState;

  constructor(opts: HostModelOptions, noise: boolean) {
    this.#opts = opts;
    this.host = opts.host;
    const L = typeof opts.vendor === "object" ? opts.vendor : VENDORS[opts.vendor ?? "supermicro"];
    if (!L) throw new Error(`unknown vendor layout ${String(opts.vendor)}`);
    this.layout = L;
    this.thresholds = opts.thresholds ?? L.thresholds;
    this.#noise = noise;
    this.#rng = createRng(hashSeed(opts.seed, opts.host));
    const r = this.#rng;
    this.#p = drawParams(L, r);
    this.zones = this.#p.zoneOf;
    this.#quantum = L.tach.kind === "step" ? r.pick(L.tach.quanta) : 1;
    this.#railOffset = L.rails.map(() => 0.01 * (r.next() * 2 - 1));
    this.#share1 = 0.48 + 0.04 * r.next();
    const zone = (c: { minDuty: number }) => ({ duty: c.minDuty, integral: 0 });
    this.#d = {
      lastTs: -1,
      load: 0.4,
      ar: 0,
      skew: L.cpus.map(() => 0.03 * r.normal()),
      cpuLoad: L.cpus.map(() => 0.4),
      cpuC: L.cpus.map(() => 45),
      peripheralC: 40,
      zones: [zone(this.#p.curves[0]), zone(this.#p.curves[1])],
    };
  }

  get load(): number {
    return this.#d.load;
  }

  injectFault(f: Fault): void {
    const problem = faultProblem(f, this.layout.fans.length, this.layout.cpus.length);
    if (problem) throw new Error(`${this.host}: cannot inject fault ${JSON.stringify(f)}: ${problem}`);
    this.#fx.faults.push(f);
    this.#truth.push({ fault: f, failureAt: null });
  }
  applyConfounder(c: Confounder): void {
    this.#fx.confounders.push(c);
  }
  setLoad(u: number | null): void {
    this.#loadOverride = u === null ? null : clamp(u, 0, 1);
  }
  setRoomC(c: number | null): void {
    this.#roomC = c;
  }
  setPower(on: boolean): void {
    this.#on = on;
  }
  truth(): FaultTruth[] {
    return this.#truth.map((t) => ({ ...t }));
  }

  predictBmcAlarm(from: number, limitMs = 14 * 86_400_000, stepMs = 60_000): number | null {
    if (!this.thresholds) return null;
    const twin = new Host(this.#opts, false);
    for (const f of this.#fx.faults) twin.injectFault(f);
    for (const c of this.#fx.confounders) twin.applyConfounder(c);
    twin.#d = structuredClone(this.#d);
    twin.#loadOverride = this.#loadOverride ?? this.#d.load;
    twin.#roomC = this.#roomC;
    for (let ts = from; ts <= from + limitMs; ts += stepMs) {
      if (twin.sample(ts).some(bmcCritical)) return ts;
    }
    return null;
  }

  #room(ts: number): number {
    if (this.#roomC !== null) return this.#roomC;
    const day = (ts % 86_400_000) / 86_400_000;
    return 22 + 1.2 * Math.sin(2 * Math.PI * (day - 0.3));
  }

  /** The host's own bursts, when it draws them: about one per 12 h, 10-70 min, mostly on one CPU. */
  #maybeBurst(ts: number, dt: number): void {
    const r = this.#rng;
    const busy = this.#fx.confounders.some((c) => c.kind === "load-burst" && ts < c.start + c.durationMs);
    if (!this.#noise || this.#opts.randomBursts === false || busy || r.next() >= dt / (12 * HOUR)) return;
    const cpus = this.layout.cpus.length;
    const durationMs = 600_000 + r.next() * HOUR;
    this.#fx.confounders.push({
      kind: "load-burst",
      start: ts,
      durationMs,
      extra: 0.3 + 0.2 * r.next(),
      cpu: r.int(0, cpus - 1),
      share: 0.5 + 0.25 * r.next(),
    });
  }

  #inputs(ts: number, inletC: number): StepInputs {
    const L = this.layout;
    const fx = this.#fx;
    const stall = (p: number) => this.#noise && this.#rng.next() < 0.01 + 0.25 * p * p;
    const health = L.fans.map((_, j) => fx.fanHealth(j, ts, stall));
    const psuHeat = Math.max(fx.psuAging(1, ts), fx.psuAging(2, ts)) ** 1.5;
    return {
      on: this.#on,
      inletC,
      health,
      clog: fx.clog(ts),
      paste: L.cpus.map((_, i) => fx.paste(i, ts)),
      burst: fx.burst(ts, L.cpus.length),
      psuHeat,
      curve: fx.curve(ts),
      failsafe: this.#on && health.some((h) => h < 0.1),
    };
  }

  sample(ts: number): Reading[] {
    const d = this.#d;
    const dt = d.lastTs < 0 ? HOUR : clamp(ts - d.lastTs, 0, HOUR);
    d.lastTs = ts;
    const normal = this.#noise ? () => this.#rng.normal() : () => 0;
    this.#maybeBurst(ts, dt);
    const inletC = this.#room(ts) + this.#p.rackOffsetC + 0.15 * normal();
    const x = this.#inputs(ts, inletC);
    const u = this.#on ? (this.#loadOverride ?? stepLoad(d, ts, dt, normal)) : 0;
    d.cpuLoad = this.#on ? perCpuLoad(d, u, x.burst) : d.cpuLoad.map(() => 0);
    d.load = d.cpuLoad.reduce((a, b) => a + b, 0) / Math.max(1, d.cpuLoad.length);
    integrate(this.#p, d, x, d.cpuLoad, dt);
    const snap = this.#snapshot(ts, x, normal);
    this.#checkTruth(ts, x, snap);
    return emitReadings(snap, {
      host: this.host,
      layout: this.layout,
      thresholds: this.thresholds,
      quantum: this.#quantum,
      normal,
    });
  }

  #snapshot(ts: number, x: StepInputs, normal: () => number): Snapshot {
    const L = this.layout;
    const d = this.#d;
    const speeds = fanSpeeds(this.#p, d, x);
    const rpm = speeds.map((v, j) => (this.#fx.hotSwapping(j, ts) ? null : v * L.fanMaxRpm));
    const airflow = (speeds.reduce((a, b) => a + b, 0) / Math.max(1, speeds.length)) * (1 - x.clog);
    const fanW = speeds.reduce((s, v) => s + 14 * v ** 3, 0);
    const cpuW = d.cpuLoad.reduce((s, u, i) => s + cpuPower(this.#p, i, u), 0);
    const powerW = this.#on ? this.#p.idleW + cpuW + fanW : 0;
    const psu = this.#supplies(ts, powerW, x.inletC, normal);
    return {
      ts,
      on: this.#on,
      rpm,
      cpuC: d.cpuC,
      inletC: x.inletC,
      exhaustC: x.inletC + powerW / (28 * (0.3 + airflow)),
      peripheralC: d.peripheralC,
      psuC: psu.temps,
      psuOut: psu.out,
      railV: psu.rails,
      powerW,
      utilization: d.load,
    };
  }

  /** Output share, temperature and 12 V of each supply: an aging one sags, ripples, heats, then drops out. */
  #supplies(ts: number, powerW: number, inletC: number, normal: () => number) {
    const fx = this.#fx;
    const age = [fx.psuAging(1, ts), fx.psuAging(2, ts)];
    const off = [fx.psuOff(1, ts), fx.psuOff(2, ts)];
    let s1 = this.#share1 * (1 - 0.5 * (age[0] as number));
    let s2 = (1 - this.#share1) * (1 - 0.5 * (age[1] as number));
    if (off[0]) s1 = 0;
    if (off[1]) s2 = 0;
    const shares = s1 + s2 > 0 ? [s1 / (s1 + s2), s2 / (s1 + s2)] : [0, 0];
    const out = shares.map((s) => (this.layout.psuOutputs?.type === "current" ? (powerW * s) / 12 : powerW * s));
    const temps = shares.map((s, i) =>
      off[i] ? inletC + 2 : inletC + 8 + (24 * s * powerW) / 400 + 18 * (age[i] as number) ** 1.5,
    );
    const rails = this.layout.rails.map((rail, k) => {
      if (!this.#on) return null;
      const mine = rail.psu ?? null;
      if (mine !== null && off[mine - 1]) return 0;
      // a shared rail sags with the worse supply while it still delivers
      const a = mine !== null ? (age[mine - 1] as number) : Math.max(...age.map((v, i) => (off[i] ? 0 : v)));
      const sag = rail.nominal >= 10 ? rail.nominal * 0.015 * a * a : 0;
      const ripple = rail.nominal * 0.0015 * (1 + 8 * a);
      return rail.nominal * (1 + (this.#railOffset[k] as number)) - sag + ripple * normal();
    });
    return { temps, out, rails };
  }

  /** Mark each fault's failure point the first time a sample crosses it. */
  #checkTruth(ts: number, x: StepInputs, s: Snapshot): void {
    const L = this.layout;
    for (const t of this.#truth) {
      const f = t.fault;
      if (t.failureAt !== null || ts < f.start || !this.#on) continue;
      let failed = false;
      if ("fan" in f) {
        const speed = ((s.rpm[f.fan] ?? L.fanMaxRpm) / L.fanMaxRpm) * (L.fanUnit === "%" ? 100 : L.fanMaxRpm);
        failed = speed <= L.fanLcr && (f.kind !== "fan-intermittent" || ts >= f.start + f.durationMs);
      } else if (f.kind === "psu-aging") failed = this.#fx.psuAging(f.psu, ts) >= 1;
      else failed = this.#thermalFailed(f.kind === "paste" ? [f.cpu] : L.cpus.map((_, i) => i), x, s);
      if (failed) t.failureAt = ts;
    }
  }

  /** A CPU at its critical temperature, or no longer able to run full load below it with every fan at 100 %. */
  #thermalFailed(cpus: number[], x: StepInputs, s: Snapshot): boolean {
    const full = 1 - x.clog;
    return cpus.some(
      (i) =>
        (s.cpuC[i] as number) >= this.layout.cpuUcr ||
        cpuSteadyC(this.#p, i, 1, x.inletC, x.paste[i] as number, full) >= this.layout.cpuUcr,
    );
  }
}
