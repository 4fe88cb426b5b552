/**
 * Fans in zones driven by separate loops, dual rotors, duty-% fans, twins with different loads: the physics of
 * real servers (and of independent fleet models), in crafted series whose zone layout the names do not reveal.
 */
import type { Reading, SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { HOUR, MIN, noise, q, T0 } from "./series.js";

const DAY = 24 * HOUR;

type Host = {
  /** zone of each fan (index), e.g. [0, 1, 1, 0, 0, 1] */
  zones: number[];
  unit?: "RPM" | "%";
  /** per-fan speed factor (a B rotor runs 8-15 % slower) */
  factor?: (j: number) => number;
  /** extra factor for fan j at time t (wear, stop) */
  fault?: (j: number, t: number) => number;
  /** zone duty at time t: zone 0 follows the CPUs' load, zone 1 the peripheral side */
  duty?: (zone: number, t: number) => number;
  cpu?: (i: number, t: number) => number;
  /** polls that never happened (a hung BMC) */
  skip?: (t: number) => boolean;
};

/** two loads: bursts every ~7 h on zone 0 that move it 2.5x while zone 1 stays */
const burst = (t: number) => (t % (7 * HOUR) > 5 * HOUR && t % (7 * HOUR) < 6.5 * HOUR ? 1 : 0);
const defaultDuty = (zone: number, t: number) => (zone === 0 ? 0.3 + 0.45 * burst(t) : 0.35);

function run(h: Host, durationMs: number, stepMs = MIN): SensorEvent[] {
  const d = createDetector();
  const n = noise(7);
  const events: SensorEvent[] = [];
  const pct = h.unit === "%";
  for (let t = 0; t < durationMs; t += stepMs) {
    if (h.skip?.(t)) continue;
    const ts = T0 + t;
    const rs: Reading[] = [];
    h.zones.forEach((z, j) => {
      const duty = (h.duty ?? defaultDuty)(z, t);
      const raw = duty * (h.factor?.(j) ?? 1) * (h.fault?.(j, t) ?? 1) * (1 + 0.004 * n());
      const value = pct ? Math.round(raw * 10_000) / 100 : q(raw * 16_000, 100);
      rs.push({ ts, host: "z1", sensor: `FAN${j + 1}`, type: "fan", unit: pct ? "%" : "RPM", value });
    });
    for (let i = 0; i < 2; i++) {
      const c = h.cpu?.(i, t) ?? 55 + 20 * burst(t) + (i ? 4 : 0) * burst(t);
      rs.push({
        ts,
        host: "z1",
        sensor: `CPU${i + 1} Temp`,
        type: "temperature",
        unit: "C",
        value: Math.round(c + n()),
      });
    }
    rs.push({ ts, host: "z1", sensor: "Inlet Temp", type: "temperature", unit: "C", value: 22 });
    rs.push({ ts, host: "z1", sensor: "Sys Power", type: "power", unit: "W", value: 250 + 200 * burst(t) });
    for (const r of rs) events.push(...d.ingest(r));
  }
  return events;
}

const alarms = (e: SensorEvent[]) => e.filter((x) => x.severity !== "info");

describe("detector - fan zones learned from the data", () => {
  it("zones laid out at random, one moving 2.5x with load: nothing on a healthy host", () => {
    expect(alarms(run({ zones: [0, 1, 1, 0, 0, 1] }, 3 * DAY))).toEqual([]);
    expect(alarms(run({ zones: [1, 0, 0, 0, 1, 1, 0] }, 3 * DAY))).toEqual([]);
  });

  it("a fan alone in its zone is never judged against another zone", () => {
    expect(alarms(run({ zones: [0, 0, 0, 0, 1] }, 3 * DAY))).toEqual([]);
  });

  it("dual rotors: B rotors 12 % slower than A rotors raise nothing", () => {
    expect(alarms(run({ zones: [0, 0, 0, 0, 1, 1], factor: (j) => (j % 2 ? 0.88 : 1) }, 3 * DAY))).toEqual([]);
  });

  it("a worn fan is named, against the fans of its own zone, whichever zone it is in", () => {
    const wear = (j: number, t: number) => (j === 4 && t > DAY ? Math.max(0.05, 1 - ((t - DAY) / (2 * DAY)) ** 2) : 1);
    const events = alarms(run({ zones: [0, 1, 1, 0, 0, 1], fault: wear }, 4 * DAY));
    const first = events[0];
    expect(first?.sensor).toBe("FAN5");
    expect(first?.reason).toMatch(/slower than FAN1 and FAN4, which move with it/);
    const crit = events.find((e) => e.severity === "critical");
    expect(crit?.sensor).toBe("FAN5");
    expect(events.every((e) => e.sensor === "FAN5")).toBe(true);
  });

  it("a duty-% fan (HPE) that stops while its zone runs is critical within 2 samples", () => {
    const stopAt = 30 * HOUR + 7 * MIN;
    const events = alarms(
      run({ zones: [0, 0, 0, 1, 1, 1], unit: "%", fault: (j, t) => (j === 4 && t >= stopAt ? 0 : 1) }, 36 * HOUR),
    );
    const crit = events.find((e) => e.severity === "critical");
    expect(crit).toMatchObject({ sensor: "FAN5", kind: "failure", component: "fan" });
    expect((crit?.ts as number) - (T0 + stopAt)).toBeLessThanOrEqual(2 * MIN);
    expect(crit?.reason).toMatch(/FAN5 reads 0 % while FAN4 and FAN6, which move with it/);
  });

  it("a stopped fan stays failed across an hour-long BMC hang: its first sample after the gap clears nothing", () => {
    const stopAt = 30 * HOUR;
    const hang = (t: number) => t > 31 * HOUR && t < 32 * HOUR + 6 * MIN;
    const events = run(
      { zones: [0, 0, 0, 1, 1, 1], fault: (j, t) => (j === 0 && t >= stopAt ? 0 : 1), skip: hang },
      36 * HOUR,
    ).filter((e) => e.sensor === "FAN1");
    expect(events.map((e) => `${e.kind}-${e.severity}`)).toEqual(["failure-critical"]);
  });

  it("a zone that spins down together is not a fan failure", () => {
    const parked = (zone: number, t: number) =>
      zone === 1 && t > DAY && t < DAY + 2 * HOUR ? 0 : defaultDuty(zone, t);
    // (the crafted CPUs do not warm when a zone parks, so only the fans' verdict is meaningful here)
    const fans = alarms(run({ zones: [0, 0, 0, 1, 1, 1], duty: parked }, 2 * DAY)).filter((e) => e.component === "fan");
    expect(fans).toEqual([]);
  });

  it("a fan that stops while a warning is open on it escalates at once", () => {
    const wear = (j: number, t: number) =>
      j === 1 ? (t >= 3 * DAY ? 0 : t > DAY ? 1 - 0.25 * Math.min(1, (t - DAY) / DAY) : 1) : 1;
    const events = alarms(run({ zones: [0, 0, 0, 0, 1, 1], fault: wear }, 3 * DAY + HOUR));
    expect(events.some((e) => e.severity === "warning" && e.sensor === "FAN2" && e.ts < T0 + 3 * DAY)).toBe(true);
    const stop = events.find((e) => e.kind === "failure");
    expect(stop?.sensor).toBe("FAN2");
    expect((stop?.ts as number) - (T0 + 3 * DAY)).toBeLessThanOrEqual(2 * MIN);
  });
});

describe("detector - CPU twins with their own loads", () => {
  it("twins 6-10 C apart under load shifts raise nothing", () => {
    const cpu = (i: number, t: number) => 55 + 18 * burst(t) + (i === 0 ? 8 * burst(t) : 3 * Math.sin(t / HOUR));
    expect(alarms(run({ zones: [0, 0, 0, 0], cpu }, 3 * DAY))).toEqual([]);
  });

  it("a degrading heatsink (one CPU hotter at every load, for days) is found, on the right CPU", () => {
    const cpu = (i: number, t: number) => 55 + 18 * burst(t) + (i === 1 && t > DAY ? 25 * ((t - DAY) / (3 * DAY)) : 0);
    const events = alarms(run({ zones: [0, 0, 0, 0], cpu }, 4 * DAY));
    expect(events[0]?.sensor).toBe("CPU2 Temp");
    expect(events.some((e) => e.severity === "critical" && e.sensor === "CPU2 Temp")).toBe(true);
  });
});
