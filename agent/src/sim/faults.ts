/** What can go wrong in a simulated host (faults) and what a healthy host does that looks alarming (confounders). */

export type Fault =
  /** bearing wear: the fan slows at the same duty, faster and faster; `stop` ends it in a standstill */
  | { kind: "fan-wear"; fan: number; start: number; durationMs: number; stop?: boolean }
  | { kind: "fan-stop"; fan: number; start: number }
  /** single-sample stalls at a rising rate, then a permanent stop at start + durationMs */
  | { kind: "fan-intermittent"; fan: number; start: number; durationMs: number }
  /** output rail droops with rising ripple; the supply's temperature creeps up */
  | { kind: "psu-aging"; rail: number; start: number; durationMs: number }
  /** airflow per RPM falls: fans need more duty, temperatures rise against inlet and load */
  | { kind: "filter-clog"; start: number; durationMs: number }
  /** one CPU's thermal resistance grows: it runs hotter than its twin at equal load */
  | { kind: "paste"; cpu: number; start: number; durationMs: number };

export type FaultKind = Fault["kind"];

export type Confounder =
  /** a hot-swap: the fan reads null for a sample or two, then a new fan at `speedFactor` of the old one */
  | { kind: "fan-replaced"; fan: number; at: number; speedFactor: number }
  /** firmware or profile change: every fan's duty curve moves at once */
  | { kind: "fan-curve"; at: number; minDuty: number; gain: number }
  /** one supply of a redundant pair loses input; its rails read 0 V */
  | { kind: "psu-unplugged"; psu: 1 | 2; start: number; durationMs: number };

export type ConfounderKind = Confounder["kind"] | "load-burst" | "cooling-event" | "power-cycle";

/** 0 before start, rising to 1 at start + duration, 1 after. */
export const progress = (ts: number, start: number, durationMs: number) =>
  ts <= start ? 0 : ts >= start + durationMs ? 1 : (ts - start) / durationMs;
