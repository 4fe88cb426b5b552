/**
 * The room as a cause: a rack's cooling failure that takes the inlet (and with it the CPUs) to their critical
 * thresholds is reported as danger with cause `environment`; a normal CRAC excursion of a few degrees is context
 * and raises nothing; a CPU at its limit in a steady room is its own fault (no cause).
 */
import { EventCause, type SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { HOUR, type HostSpec, MIN, noise, run } from "./series.js";

/** inlet 22 C, `delta` more from 12 h for `hours`; CPUs `rise` over the inlet */
function room(seed: number, delta: number, hours: number, rise: number, thresholds = true): HostSpec {
  const n = noise(seed);
  const inlet = (t: number) => 22 + (t >= 12 * HOUR && t < (12 + hours) * HOUR ? delta : 0);
  return {
    inlet: (t) => Math.round(inlet(t) + 0.3 * n()),
    inletThresholds: thresholds,
    cpu: (i, t) => Math.round(inlet(t) + rise + 2 * i + n()),
    powerW: () => 320 + 5 * n(),
  };
}

const critical = (es: SensorEvent[]) => es.filter((e) => e.severity === "critical");

describe("detector - a hot room is danger with its cause", () => {
  it("a rack's cooling failure (+22 C) takes the CPU to its critical: critical events naming the inlet", () => {
    const events = run(createDetector(), room(1, 22, 2, 50), 20 * HOUR, 2 * MIN);
    const cpu = critical(events).find((e) => e.sensor === "CPU2 Temp");
    expect(cpu?.reason).toMatch(
      /CPU2 Temp at 9\d C, at or above its critical 95 C; inlet 4\d C \(\+2\d C over its level\): room or rack cooling/,
    );
    expect(cpu?.cause).toBe(EventCause.Environment);
    expect(cpu?.component).toBe("thermal");
    const inlet = critical(events).find((e) => e.sensor === "Inlet Temp");
    expect(inlet?.reason).toMatch(
      /Inlet Temp at 4\d C \(\+2\d C over its level\), at or above its critical 42 C: room or rack cooling/,
    );
    expect(inlet?.cause).toBe(EventCause.Environment);
    // not before the room went hot, and everything clears once it is back
    expect(Math.min(...critical(events).map((e) => e.ts - 1_700_000_000_000))).toBeGreaterThanOrEqual(12 * HOUR);
    const cleared = events.filter((e) => e.kind === "cleared").map((e) => e.sensor);
    expect(cleared).toEqual(expect.arrayContaining(["CPU2 Temp", "Inlet Temp"]));
  });

  it("an inlet at its critical threshold while the CPUs are fine is still reported, as the room's", () => {
    const events = run(createDetector(), room(2, 21, 2, 30), 16 * HOUR, 2 * MIN);
    expect(critical(events).map((e) => [e.sensor, e.cause])).toEqual([["Inlet Temp", EventCause.Environment]]);
  });

  it("a BMC without inlet thresholds: the inlet is critical at inletMaxC (40 C)", () => {
    const cool = run(createDetector(), room(3, 16, 2, 30, false), 16 * HOUR, 2 * MIN);
    expect(cool).toEqual([]);
    const hot = run(createDetector(), room(3, 20, 2, 30, false), 16 * HOUR, 2 * MIN);
    expect(critical(hot).map((e) => e.sensor)).toEqual(["Inlet Temp"]);
  });

  it("normal CRAC excursions of 1.5 to 5 C raise nothing, even with CPUs past their warning threshold", () => {
    for (const [seed, delta] of [
      [4, 1.5],
      [5, 3],
      [6, 5],
      [7, -5],
    ] as const) {
      // CPUs at 79-83 C in the normal room, 84-88 C (past their 85 C warning) during a +5 C excursion
      const spec = { ...room(seed, delta, 3, 58), cpuThresholds: true };
      const events = run(createDetector(), spec, 30 * HOUR, 2 * MIN);
      expect(events, `excursion of ${delta} C`).toEqual([]);
    }
  });

  it("a CPU about to pass its critical because the room is hot: a warning with the cause, cleared after the room", () => {
    const spec = { ...room(9, 22, 2, 43), cpuThresholds: true };
    const events = run(createDetector(), spec, 20 * HOUR, 2 * MIN).filter((e) => e.sensor === "CPU2 Temp");
    expect(events.map((e) => [e.severity, e.kind, e.cause])).toEqual([
      ["warning", "degradation", EventCause.Environment],
      ["info", "cleared", undefined],
    ]);
    expect(events[0]?.reason).toMatch(
      /CPU2 Temp at 8\d C, past its warning 85 C and near its critical 95 C; inlet 4\d C \(\+2\d C over its level\): room or rack cooling/,
    );
    // cleared an hour after the last sample near the critical (the room is back at 14 h), not an hour after the warning
    expect((events[1]?.ts ?? 0) - 1_700_000_000_000).toBeGreaterThan(14.9 * HOUR);
  });

  it("a CPU at its critical in a steady room is its own fault: no cause", () => {
    const spec: HostSpec = { ...room(8, 0, 0, 55), cpu: (i, t) => (i === 0 && t >= 12 * HOUR ? 97 : 70 + i) };
    const cpu = critical(run(createDetector(), spec, 14 * HOUR, 2 * MIN)).find((e) => e.sensor === "CPU1 Temp");
    expect(cpu?.reason).toBe("CPU1 Temp at 97 C, at or above its critical 95 C");
    expect(cpu).not.toHaveProperty("cause");
  });
});
