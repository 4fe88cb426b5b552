/** A critical fan event as an agent would publish it (tests and benchmarks; no vitest here, so plain node can load it). */
import type { SensorEvent } from "../messages.js";

let seq = 0;

export function criticalFanEvent(host: string, ts: number, extra: Partial<SensorEvent> = {}): SensorEvent {
  return {
    id: `ev-${host}-${ts}-${++seq}`,
    ts,
    host,
    severity: "critical",
    kind: "degradation",
    component: "fan",
    sensor: "FAN3",
    reason: "FAN3 fell 1,900 RPM in 6 h while load was flat",
    predictedFailureAt: ts + 3_600_000,
    confidence: 0.9,
    ...extra,
  };
}
