/** One condition's life: none -> warning -> critical -> cleared, each severity at most once per episode. */
import type { Component, EventCause, SensorEvent } from "@presage/shared";

export const Phase = { None: 0, Info: 1, Warning: 2, Critical: 3 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export type Raise = Pick<SensorEvent, "ts" | "severity" | "kind" | "reason" | "predictedFailureAt" | "confidence"> & {
  /** single-sample evidence (failure, stalls): the episode clears only after failureClearMs of normal samples */
  latched?: boolean;
  /** the danger comes from outside the host (a hot room): carried on the event */
  cause?: EventCause;
};

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "_");

export class Episode {
  phase: Phase = Phase.None;
  /** raised on single-sample evidence (failure, stalls): trend buckets may not clear it */
  latched = false;
  /** the reason of the last event raised, for heartbeats */
  reason = "";
  #count = 0;
  readonly #host: string;
  readonly #sensor: string;
  readonly #component: Component;
  readonly #prefix: string;
  readonly #eventSensor: string | null;

  /** `sensor` names the condition in ids; `eventSensor` is what events carry (null for host-level conditions) */
  constructor(prefix: string, host: string, sensor: string, component: Component, eventSensor: string | null = sensor) {
    this.#prefix = prefix;
    this.#host = host;
    this.#sensor = sensor;
    this.#component = component;
    this.#eventSensor = eventSensor;
  }

  get open(): boolean {
    return this.phase !== Phase.None;
  }

  /** Raise to `severity` if above the current phase; returns the event or null (de-duplication). */
  raise(r: Raise, out: SensorEvent[]): void {
    const p = r.severity === "critical" ? Phase.Critical : r.severity === "warning" ? Phase.Warning : Phase.Info;
    // an outright failure is news even while a degradation of the same severity is open (a worn fan that stops)
    if (p < this.phase || (p === this.phase && (this.latched || r.kind !== "failure"))) return;
    if (this.phase === Phase.None) this.#count++;
    this.phase = p;
    if (r.kind === "failure" || r.latched) this.latched = true;
    this.reason = r.reason;
    out.push(this.#event(r));
  }

  clear(ts: number, reason: string, out: SensorEvent[]): void {
    if (this.phase === Phase.None) return;
    this.phase = Phase.None;
    this.latched = false;
    this.reason = "";
    out.push(
      this.#event({ ts, severity: "info", kind: "cleared", reason, predictedFailureAt: null, confidence: null }),
    );
  }

  #event(r: Raise): SensorEvent {
    const ev: SensorEvent = {
      id: `${this.#prefix}${this.#host}.${slug(this.#sensor)}.${this.#count}.${r.kind}-${r.severity}.${r.ts}`,
      ts: r.ts,
      host: this.#host,
      severity: r.severity,
      kind: r.kind,
      component: this.#component,
      sensor: this.#eventSensor,
      reason: r.reason,
      predictedFailureAt: r.predictedFailureAt,
      confidence: r.confidence,
    };
    // only when set, so events without a cause stay byte-for-byte what they were
    if (r.cause) ev.cause = r.cause;
    return ev;
  }
}
