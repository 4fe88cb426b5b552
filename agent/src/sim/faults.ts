/**
 * What can go wrong in a simulated host (faults), what a healthy host does that looks alarming (confounders),
 * and what both do to the physics at a given time. Everything is a function of time, so a noise-free twin of a
 * host can be run forward to predict when the BMC's own threshold would fire.
 */

export type Fault =
  /** bearing wear: the fan slows at the same duty, faster and faster; `stop` ends it in a standstill */
  | { kind: "fan-wear"; fan: number; start: number; durationMs: number; stop?: boolean }
  | { kind: "fan-stop"; fan: number; start: number }
  /** single-sample stalls at a rising rate, then a permanent stop at start + durationMs */
  | { kind: "fan-intermittent"; fan: number; start: number; durationMs: number }
  /** one supply ages: its output share falls, 12 V droops with growing ripple, it runs hotter, then drops out */
  | { kind: "psu-aging"; psu: 1 | 2; start: number; durationMs: number }
  /** airflow per RPM falls: fans pinned at full duty, temperatures rise against inlet and load */
  | { kind: "filter-clog"; start: number; durationMs: number }
  /** one CPU's thermal resistance grows: it runs hotter than its twin at equal load */
  | { kind: "paste"; cpu: number; start: number; durationMs: number };

export type FaultKind = Fault["kind"];

export const FAULT_KINDS: FaultKind[] = [
  "fan-wear",
  "fan-stop",
  "fan-intermittent",
  "psu-aging",
  "filter-clog",
  "paste",
];

/** Why a fault (e.g. from an agent config file) cannot be injected into a host with `fans` fans and `cpus` CPUs. */
export function faultProblem(f: Fault, fans: number, cpus: number): string | null {
  const o = f as Record<string, unknown>;
  const int = (k: string, n: number) => Number.isInteger(o[k]) && (o[k] as number) >= 0 && (o[k] as number) < n;
  if (!FAULT_KINDS.includes(o.kind as FaultKind))
    return `unknown fault kind ${JSON.stringify(o.kind)} (${FAULT_KINDS.join(", ")})`;
  if (typeof o.start !== "number" || !Number.isFinite(o.start)) return "start must be a time in ms";
  if (f.kind !== "fan-stop" && !(typeof o.durationMs === "number" && o.durationMs > 0))
    return `${String(o.kind)} needs durationMs > 0`;
  switch (f.kind) {
    case "fan-wear":
    case "fan-stop":
    case "fan-intermittent":
      return int("fan", fans) ? null : `fan must be a fan sensor index 0..${fans - 1}`;
    case "psu-aging":
      return f.psu === 1 || f.psu === 2 ? null : "psu must be 1 or 2";
    case "paste":
      return int("cpu", cpus) ? null : `cpu must be 0..${cpus - 1}`;
    case "filter-clog":
      return null;
  }
}

export type Confounder =
  /** a hot-swap: the fan reads null for a sample or two, then a new fan at `speedFactor` of nominal */
  | { kind: "fan-replaced"; fan: number; at: number; speedFactor: number }
  /** firmware or profile change: both zones' floors scale by `floor`, their setpoints move by `setpointC` */
  | { kind: "fan-curve"; at: number; floor: number; setpointC: number }
  /** one supply of a redundant pair loses input; the other carries the host */
  | { kind: "psu-unplugged"; psu: 1 | 2; start: number; durationMs: number }
  /** extra load for a while, most of it on one CPU (`share` of it on `cpu`) */
  | { kind: "load-burst"; start: number; durationMs: number; extra: number; cpu: number; share: number }
  /** the failed part was replaced: every fault that started before `at` is gone */
  | { kind: "repaired"; at: number };

export type ConfounderKind = Confounder["kind"] | "cooling-event" | "power-cycle";

/** 0 before start, rising to 1 at start + duration, 1 after. */
export const progress = (ts: number, start: number, durationMs: number) =>
  ts <= start ? 0 : ts >= start + durationMs ? 1 : (ts - start) / durationMs;

const within = (ts: number, start: number, durationMs: number) => ts >= start && ts < start + durationMs;

/** The effect of a host's faults and confounders on its physics at time ts. */
export class Effects {
  readonly faults: Fault[] = [];
  readonly confounders: Confounder[] = [];

  /** faults in effect at ts: started, and not repaired since */
  active(ts: number): Fault[] {
    return this.faults.filter(
      (f) => ts >= f.start && !this.confounders.some((c) => c.kind === "repaired" && c.at > f.start && ts >= c.at),
    );
  }

  /** fraction of nominal speed fan sensor j turns at; `stall` draws an intermittent stall (noise-free: never) */
  fanHealth(j: number, ts: number, stall: (p: number) => boolean): number {
    let h = 1;
    let replacedAt = Number.NEGATIVE_INFINITY;
    for (const c of this.confounders)
      if (c.kind === "fan-replaced" && c.fan === j && ts >= c.at) {
        h = c.speedFactor;
        replacedAt = c.at;
      }
    for (const f of this.active(ts)) {
      if (!("fan" in f) || f.fan !== j || f.start < replacedAt) continue;
      if (f.kind === "fan-stop") return 0;
      const p = progress(ts, f.start, f.durationMs);
      if (f.kind === "fan-wear") {
        if (f.stop && p >= 0.97) return 0;
        h *= Math.max(0.03, 1 - 0.9 * p ** 2.5);
      } else if (p >= 1 || stall(p)) return 0;
    }
    return h;
  }

  hotSwapping(j: number, ts: number): boolean {
    return this.confounders.some((c) => c.kind === "fan-replaced" && c.fan === j && ts >= c.at - 90_000 && ts < c.at);
  }

  /** the latest fan-curve change in effect */
  curve(ts: number): { floor: number; setpointC: number } {
    let out = { floor: 1, setpointC: 0 };
    for (const c of this.confounders) if (c.kind === "fan-curve" && ts >= c.at) out = c;
    return out;
  }

  /** fraction of airflow the filters block, 0..0.85 */
  clog(ts: number): number {
    let c = 0;
    for (const f of this.active(ts))
      if (f.kind === "filter-clog") c = Math.max(c, 0.85 * progress(ts, f.start, f.durationMs) ** 1.5);
    return c;
  }

  /** thermal resistance factor of CPU i */
  paste(i: number, ts: number): number {
    let k = 1;
    for (const f of this.active(ts))
      if (f.kind === "paste" && f.cpu === i) k += 2.2 * progress(ts, f.start, f.durationMs) ** 1.3;
    return k;
  }

  /** aging progress of supply psu, 0..1 (1 = it has dropped out) */
  psuAging(psu: number, ts: number): number {
    let p = 0;
    for (const f of this.active(ts))
      if (f.kind === "psu-aging" && f.psu === psu) p = Math.max(p, progress(ts, f.start, f.durationMs));
    return p;
  }

  /** supply psu delivers nothing: unplugged, or aged out */
  psuOff(psu: number, ts: number): boolean {
    if (this.psuAging(psu, ts) >= 1) return true;
    return this.confounders.some(
      (c) => c.kind === "psu-unplugged" && c.psu === psu && within(ts, c.start, c.durationMs),
    );
  }

  /** extra load per CPU from bursts in progress */
  burst(ts: number, cpus: number): number[] {
    const out = new Array<number>(cpus).fill(0);
    for (const c of this.confounders)
      if (c.kind === "load-burst" && within(ts, c.start, c.durationMs))
        for (let i = 0; i < cpus; i++)
          out[i] =
            (out[i] as number) + c.extra * (i === c.cpu ? c.share : (1 - c.share) / Math.max(1, cpus - 1)) * cpus;
    return out;
  }
}
