/**
 * A simulated server: load -> power and heat -> fan control loop -> temperatures, rails, quantized BMC readings.
 * Faults and confounders are functions of time, so the model can be run forward without noise to predict when
 * the BMC's own threshold would fire.
 */
import type { Reading, SensorType, Thresholds } from "@presage/shared";
import { bmcCritical, bmcStatus } from "./bmc.js";
import { type Confounder, type Fault, progress } from "./faults.js";
import type { HostModel } from "./model.js";
import { createRng, hashSeed, type Rng } from "./rng.js";
import { VENDORS, type VendorLayout } from "./vendors.js";

export type { Confounder, Fault } from "./faults.js";
export { VENDOR_NAMES, VENDORS, type VendorLayout } from "./vendors.js";

export type HostModelOptions = {
  host: string;
  seed: number;
  /** a layout or a name from VENDORS; default supermicro */
  vendor?: VendorLayout | string;
  /** failure point for fans without a BMC threshold, as a fraction of the siblings' median (detector default) */
  fanFailRatio?: number;
  /** rail failure point without a BMC threshold, fraction of nominal (detector default) */
  railTolerance?: number;
  /** CPU failure point without a BMC threshold (detector default) */
  cpuMaxC?: number;
};

export type FaultTruth = { fault: Fault; failureAt: number | null };

export interface SimHost extends HostModel {
  readonly layout: VendorLayout;
  injectFault(f: Fault): void;
  applyConfounder(c: Confounder): void;
  /** 0..1 override of the host's own load process; null returns to it */
  setLoad(u: number | null): void;
  /** room (cold aisle) temperature in C; null = default 22 C with a small daily swing */
  setRoomC(c: number | null): void;
  /** powered off: fans 0 RPM, CPU temperatures no reading, 0 W (as FASRC hosts during an outage) */
  setPower(on: boolean): void;
  /** current load 0..1 */
  readonly load: number;
  /** per injected fault, when its failure point was first crossed in what was sampled so far */
  truth(): FaultTruth[];
  /** when the BMC's own critical threshold would first fire, running the model forward from `from` without noise */
  predictBmcAlarm(from: number, limitMs?: number, stepMs?: number): number | null;
}

type Dyn = { lastTs: number; load: number; ar: number; burstUntil: number; cpu: number[]; duty: number };

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const quant = (x: number, q: number) => Math.round(x / q) * q;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const relax = (x: number, target: number, dt: number, tau: number) => x + (target - x) * (1 - Math.exp(-dt / tau));

export function createHostModel(opts: HostModelOptions): SimHost {
  return new Host(opts, true);
}

class Host implements SimHost {
  readonly host: string;
  readonly layout: VendorLayout;
  readonly #opts: HostModelOptions;
  readonly #rng: Rng;
  readonly #noise: boolean;
  readonly #faults: FaultTruth[] = [];
  readonly #confounders: Confounder[] = [];
  readonly #railOffset: number[];
  readonly #cpuR: number[];
  readonly #rackOffset: number;
  readonly #idleW: number;
  readonly #spanW: number;
  #loadOverride: number | null = null;
  #roomC: number | null = null;
  #on = true;
  #d: Dyn = { lastTs: -1, load: 0.4, ar: 0, burstUntil: 0, cpu: [], duty: 0.35 };

  constructor(opts: HostModelOptions, noise: boolean) {
    this.#opts = opts;
    this.host = opts.host;
    this.layout =
      typeof opts.vendor === "object" ? opts.vendor : (VENDORS[opts.vendor ?? "supermicro"] as VendorLayout);
    if (!this.layout) throw new Error(`unknown vendor layout ${String(opts.vendor)}`);
    this.#noise = noise;
    this.#rng = createRng(hashSeed(opts.seed, opts.host));
    const r = this.#rng;
    this.#railOffset = this.layout.rails.map(() => 0.01 * (r.next() * 2 - 1));
    this.#cpuR = this.layout.cpus.map(() => 0.27 + 0.06 * r.next());
    this.#rackOffset = 3 * r.next() - 1;
    this.#idleW = 140 + 60 * r.next();
    this.#spanW = 220 + 120 * r.next();
    this.#d.cpu = this.layout.cpus.map(() => 45);
  }

  get load(): number {
    return this.#d.load;
  }

  injectFault(f: Fault): void {
    this.#faults.push({ fault: f, failureAt: null });
  }
  applyConfounder(c: Confounder): void {
    this.#confounders.push(c);
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
    return this.#faults.map((t) => ({ ...t }));
  }

  predictBmcAlarm(from: number, limitMs = 14 * 86_400_000, stepMs = 60_000): number | null {
    if (!this.layout.thresholds) return null;
    const twin = new Host(this.#opts, false);
    for (const t of this.#faults) twin.injectFault(t.fault);
    for (const c of this.#confounders) twin.applyConfounder(c);
    twin.#d = structuredClone(this.#d);
    twin.#loadOverride = this.#loadOverride ?? this.#d.load;
    twin.#roomC = this.#roomC;
    for (let ts = from; ts <= from + limitMs; ts += stepMs) {
      if (twin.sample(ts).some(bmcCritical)) return ts;
    }
    return null;
  }

  // ---- physics ----

  #fanHealth(j: number, ts: number): number {
    let h = 1;
    for (const c of this.#confounders) if (c.kind === "fan-replaced" && c.fan === j && ts >= c.at) h = c.speedFactor; // a new fan; old wear gone
    for (const { fault: f } of this.#faults) {
      if (!("fan" in f) || f.fan !== j || ts < f.start) continue;
      if (this.#replacedAfter(j, f.start, ts)) continue;
      if (f.kind === "fan-stop") return 0;
      const p = progress(ts, f.start, f.durationMs);
      if (f.kind === "fan-wear") {
        if (f.stop && p >= 0.97) return 0;
        h *= Math.max(0.03, 1 - p * p);
      } else if (f.kind === "fan-intermittent") {
        if (p >= 1) return 0;
        // stall probability per sample rises with progress (noise-free twin never stalls early)
        if (this.#noise && this.#rng.next() < 0.01 + 0.25 * p * p) return 0;
      }
    }
    return h;
  }

  #replacedAfter(j: number, since: number, ts: number): boolean {
    return this.#confounders.some((c) => c.kind === "fan-replaced" && c.fan === j && c.at > since && ts >= c.at);
  }

  #fanCurve(ts: number): { minDuty: number; gain: number } {
    let curve = { minDuty: 0.3, gain: 0.018 };
    for (const c of this.#confounders) if (c.kind === "fan-curve" && ts >= c.at) curve = c;
    return curve;
  }

  #clog(ts: number): number {
    let c = 0;
    for (const { fault: f } of this.#faults)
      if (f.kind === "filter-clog") c = Math.max(c, 0.85 * progress(ts, f.start, f.durationMs) ** 1.5);
    return c;
  }

  #pasteFactor(i: number, ts: number): number {
    let k = 1;
    for (const { fault: f } of this.#faults)
      if (f.kind === "paste" && f.cpu === i) k += 1.6 * progress(ts, f.start, f.durationMs) ** 1.3;
    return k;
  }

  #psuAging(rail: number, ts: number): number {
    let p = 0;
    for (const { fault: f } of this.#faults)
      if (f.kind === "psu-aging" && f.rail === rail) p = Math.max(p, progress(ts, f.start, f.durationMs));
    return p;
  }

  #unplugged(psu: number, ts: number): boolean {
    return this.#confounders.some(
      (c) => c.kind === "psu-unplugged" && c.psu === psu && ts >= c.start && ts < c.start + c.durationMs,
    );
  }

  #hotSwapping(j: number, ts: number): boolean {
    return this.#confounders.some((c) => c.kind === "fan-replaced" && c.fan === j && ts >= c.at - 90_000 && ts < c.at);
  }

  #room(ts: number): number {
    if (this.#roomC !== null) return this.#roomC;
    const day = (ts % 86_400_000) / 86_400_000;
    return 22 + 1.2 * Math.sin(2 * Math.PI * (day - 0.3));
  }

  #stepLoad(ts: number, dt: number): number {
    const d = this.#d;
    if (this.#loadOverride !== null) return this.#loadOverride;
    const r = this.#rng;
    const day = (ts % 86_400_000) / 86_400_000;
    const diurnal = 0.4 + 0.2 * Math.sin(2 * Math.PI * (day - 0.35));
    if (this.#noise) {
      const a = Math.exp(-dt / 1_800_000);
      d.ar = d.ar * a + 0.08 * Math.sqrt(1 - a * a) * r.normal();
      if (ts >= d.burstUntil && r.next() < dt / 43_200_000) d.burstUntil = ts + 600_000 + r.next() * 3_600_000;
    }
    return clamp(diurnal + d.ar + (ts < d.burstUntil ? 0.4 : 0), 0.03, 1);
  }

  sample(ts: number): Reading[] {
    const d = this.#d;
    const L = this.layout;
    const dt = d.lastTs < 0 ? 3_600_000 : clamp(ts - d.lastTs, 0, 3_600_000);
    d.lastTs = ts;
    const n = this.#noise ? () => this.#rng.normal() : () => 0;
    const u = this.#on ? this.#stepLoad(ts, dt) : 0;
    d.load = u;

    // fans from the control loop's duty
    const curve = this.#fanCurve(ts);
    const health = L.fans.map((_, j) => this.#fanHealth(j, ts));
    const rpmTrue = L.fans.map((_, j) =>
      this.#on ? d.duty * L.fanMaxRpm * (L.fanRotor[j] ?? 1) * (health[j] as number) : 0,
    );
    const airflow =
      (rpmTrue.reduce((s, v, j) => s + v / (L.fanMaxRpm * (L.fanRotor[j] ?? 1)), 0) / L.fans.length) *
      (1 - this.#clog(ts));

    // heat and temperatures
    const inlet = this.#room(ts) + this.#rackOffset + 0.15 * n();
    const cool = (0.2 + 0.8 * airflow) ** 0.8;
    L.cpus.forEach((_, i) => {
      const heat = 12 + 115 * u * (1 + 0.03 * i);
      const target = this.#on
        ? inlet + (heat * (this.#cpuR[i] as number) * this.#pasteFactor(i, ts)) / cool
        : inlet + 2;
      d.cpu[i] = relax(d.cpu[i] as number, target, dt, 120_000);
    });
    const hottest = Math.max(...d.cpu);
    const dutyTarget = clamp(curve.minDuty + curve.gain * Math.max(0, hottest - 50), curve.minDuty, 1);
    d.duty = relax(d.duty, dutyTarget, dt, 20_000);

    const fanW = rpmTrue.reduce((s, v) => s + 12 * (v / L.fanMaxRpm) ** 3, 0);
    const powerW = this.#on ? this.#idleW + this.#spanW * u + fanW : 0;
    const out: Reading[] = [];
    const thr = L.thresholds;
    const add = (sensor: string, type: SensorType, unit: string, value: number | null, t?: Partial<Thresholds>) => {
      const r: Reading = { ts, host: this.host, sensor, type, unit, value };
      if (thr && t) {
        r.status = bmcStatus(value, t);
        r.thresholds = t;
      }
      out.push(r);
    };

    L.fans.forEach((name, j) => {
      const t = { lnr: L.fanLcr * 0.5, lcr: L.fanLcr, lnc: L.fanLcr * 1.5 };
      this.#checkFanTruth(j, ts, rpmTrue);
      const v = (rpmTrue[j] as number) * (1 + 0.004 * n());
      add(name, "fan", "RPM", this.#hotSwapping(j, ts) ? null : Math.max(0, quant(v, L.fanQuantum)), t);
    });
    L.cpus.forEach((name, i) => {
      const t = d.cpu[i] as number;
      this.#checkTruth((f) => f.kind === "paste" && f.cpu === i, ts, t >= this.#cpuLimit());
      this.#checkTruth((f) => f.kind === "filter-clog", ts, t >= this.#cpuLimit());
      add(name, "temperature", "C", this.#on ? Math.round(t + 0.3 * n()) : null, { unc: L.cpuUcr - 10, ucr: L.cpuUcr });
    });
    add(L.inlet, "temperature", "C", Math.round(inlet), { unc: 38, ucr: 42 });
    if (L.exhaust)
      add(L.exhaust, "temperature", "C", Math.round(inlet + powerW / (28 * (0.3 + airflow)) + 0.3 * n()), {
        unc: 70,
        ucr: 75,
      });
    L.psuTemps.forEach((name, i) => {
      const creep = 18 * this.#psuAgingOfSupply(i + 1, ts) ** 1.5;
      add(name, "temperature", "C", Math.round(inlet + 6 + 10 * u + creep + 0.3 * n()), { unc: 60, ucr: 70 });
    });
    L.rails.forEach((rail, k) => {
      const aging = this.#psuAging(k, ts);
      const droop = rail.nominal * 0.13 * aging ** 1.5;
      const ripple = rail.nominal * 0.002 * (1 + 5 * aging);
      const vTrue = rail.nominal * (1 + (this.#railOffset[k] as number)) - droop;
      const limit = this.#railLimit(rail.nominal);
      this.#checkTruth((f) => f.kind === "psu-aging" && f.rail === k, ts, vTrue <= limit);
      const off = !this.#on || (rail.psu !== undefined && this.#unplugged(rail.psu, ts));
      const v = off ? 0 : round(quant(vTrue + ripple * n(), rail.quantum), 3);
      add(rail.name, "voltage", "V", !this.#on ? null : v, {
        lcr: round(rail.nominal * 0.9, 2),
        ucr: round(rail.nominal * 1.1, 2),
      });
    });
    add(L.power, "power", "W", quant(powerW, L.powerQuantum));
    return out;
  }

  #psuAgingOfSupply(psu: number, ts: number): number {
    let p = 0;
    this.layout.rails.forEach((rail, k) => {
      if ((rail.psu ?? 1) === psu) p = Math.max(p, this.#psuAging(k, ts));
    });
    return p;
  }

  #cpuLimit(): number {
    return this.layout.thresholds ? this.layout.cpuUcr : (this.#opts.cpuMaxC ?? 95);
  }

  #railLimit(nominal: number): number {
    return this.layout.thresholds ? round(nominal * 0.9, 2) : nominal * (1 - (this.#opts.railTolerance ?? 0.08));
  }

  #checkFanTruth(j: number, ts: number, rpmTrue: number[]): void {
    const L = this.layout;
    const others = rpmTrue.filter((_, k) => k !== j).sort((a, b) => a - b);
    const med = others.length ? (others[others.length >> 1] as number) : 0;
    const limit = L.thresholds ? L.fanLcr : (this.#opts.fanFailRatio ?? 0.5) * med;
    // an intermittent fan has failed when it stops for good, not at its first stall
    const match = (f: Fault) =>
      "fan" in f && f.fan === j && (f.kind !== "fan-intermittent" || ts >= f.start + f.durationMs);
    this.#checkTruth(match, ts, this.#on && (rpmTrue[j] as number) <= limit);
  }

  #checkTruth(match: (f: Fault) => boolean, ts: number, failed: boolean): void {
    if (!failed) return;
    for (const t of this.#faults) if (t.failureAt === null && ts >= t.fault.start && match(t.fault)) t.failureAt = ts;
  }
}
