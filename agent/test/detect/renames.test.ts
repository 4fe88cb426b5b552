/**
 * Firmware updates rename sensors ("CPU1 Temp" -> "CPU1_Temp"): the renamed sensor keeps its judge, so a
 * degradation that began before the update is still measured against the baseline learned before it. Two sensors
 * whose names differ only in punctuation, reading side by side, are two sensors.
 */
import type { Reading, SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { HOUR, MIN, noise, T0 } from "./series.js";

const DAY = 24 * HOUR;

/** two CPUs under a daily load; CPU1's heatsink resistance grows from `onset`; names change at `renameAt` */
function paste(onset: number, renameAt: number, days: number): SensorEvent[] {
  const d = createDetector();
  const n = noise(7);
  const events: SensorEvent[] = [];
  for (let t = 0; t < days * DAY; t += MIN) {
    const u = 0.5 + 0.35 * Math.sin((2 * Math.PI * t) / DAY);
    const r1 = 1 + Math.max(0, (t - onset) / DAY) * 0.5;
    const sep = t < renameAt ? " " : "_";
    const ts = T0 + t;
    const rd = (sensor: string, type: Reading["type"], unit: string, value: number): Reading => ({
      ts,
      host: "h1",
      sensor,
      type,
      unit,
      value,
    });
    const readings = [
      rd(`CPU1${sep}Temp`, "temperature", "C", Math.round(24 + 40 * u * r1 + n())),
      rd(`CPU2${sep}Temp`, "temperature", "C", Math.round(24 + 40 * u + n())),
      rd(`Inlet${sep}Temp`, "temperature", "C", 22),
      rd("PW Consumption", "power", "W", Math.round(200 + 250 * u + 3 * n())),
    ];
    for (const r of readings) events.push(...d.ingest(r));
  }
  return events;
}

describe("detector - sensor renames", () => {
  it("a CPU whose heatsink degrades across a firmware rename is critical before it reaches its limit", () => {
    const events = paste(1.5 * DAY, 1.8 * DAY, 5).filter((e) => e.kind !== "cleared");
    const critical = events.find((e) => e.severity === "critical" && e.kind === "degradation");
    expect(critical?.sensor).toBe("CPU1 Temp");
    expect(critical?.reason).toMatch(/hotter against its twin than its own baseline of [0-3] C/);
    const failure = events.find((e) => e.kind === "failure");
    expect(failure).toBeDefined();
    expect((critical?.ts ?? Number.POSITIVE_INFINITY) + HOUR).toBeLessThan(failure?.ts ?? 0);
    expect(events.filter((e) => e.sensor !== "CPU1 Temp")).toEqual([]);
  });

  it("two sensors whose names differ only in punctuation, reading side by side, are judged apart", () => {
    const d = createDetector();
    const events: SensorEvent[] = [];
    for (let t = 0; t < 2 * HOUR; t += MIN) {
      const ts = T0 + t;
      const rd = (sensor: string, value: number): Reading => ({
        ts,
        host: "h1",
        sensor,
        type: "temperature",
        unit: "C",
        value,
      });
      for (const r of [rd("CPU1 Temp", 50), rd("CPU2 Temp", 50), rd("CPU1_Temp", t < HOUR ? 60 : 99)])
        events.push(...d.ingest(r));
    }
    const failures = events.filter((e) => e.kind === "failure");
    expect(failures.map((e) => e.sensor)).toEqual(["CPU1_Temp"]);
  });
});
