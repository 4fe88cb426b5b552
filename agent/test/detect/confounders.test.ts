/**
 * Healthy-host confounders that must re-baseline, not alarm: a fan-curve change (all fans step up together and the
 * CPUs run cooler) and a replaced fan that turns faster than the old one. The series come from a small chassis
 * model like the simulator's: duty from a proportional fan curve on the hottest CPU, cooling that goes with
 * (0.2 + 0.8 airflow)^0.8 (a chassis moves some air even at low duty), power that includes the fans.
 */
import type { SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { HOUR, type HostSpec, noise, q, run } from "./series.js";

const DAY = 24 * HOUR;
const FANS = 6;

type Curve = { minDuty: number; gain: number };

/** fanFactor: a fan's speed relative to the others (a new fan); clog: the fraction of airflow a filter blocks */
function chassis(
  curve: (t: number) => Curve,
  fanFactor: (j: number, t: number) => number,
  seed: number,
  clog: (t: number) => number = () => 0,
): HostSpec {
  const n = noise(seed);
  const state = (t: number) => {
    const u = 0.45 + 0.3 * Math.sin((2 * Math.PI * t) / DAY);
    const c = curve(t);
    let duty = c.minDuty;
    let cpu = 0;
    for (let k = 0; k < 20; k++) {
      let air = 0;
      for (let j = 0; j < FANS; j++) air += ((duty * fanFactor(j, t)) / FANS) * (1 - clog(t));
      cpu = 22 + ((12 + 115 * u) * 0.33) / (0.2 + 0.8 * air) ** 0.8;
      duty = Math.min(1, Math.max(c.minDuty, c.minDuty + c.gain * (cpu - 50)));
    }
    let fanW = 0;
    for (let j = 0; j < FANS; j++) fanW += 12 * (duty * fanFactor(j, t)) ** 3;
    return { u, duty, cpu, powerW: 150 + 250 * u + fanW };
  };
  return {
    fans: FANS,
    fan: (j, t) => {
      const f = fanFactor(j, t);
      return f === 0 ? null : q(9_000 * state(t).duty * f * (1 + 0.004 * n()), 100);
    },
    cpu: (i, t) => q(state(t).cpu + i + 0.5 * n(), 1),
    powerW: (t) => q(state(t).powerW, 10),
  };
}

const alarms = (events: SensorEvent[]) => events.filter((e) => e.severity === "warning" || e.severity === "critical");
const STANDARD: Curve = { minDuty: 0.3, gain: 0.018 };

describe("detector - fan confounders re-baseline", () => {
  it("a fan-curve change (higher minimum duty, steeper gain) on day 2 raises no warning in 4 days", () => {
    const change = 1.5 * DAY;
    const spec = chassis(
      (t) => (t < change ? STANDARD : { minDuty: 0.5, gain: 0.03 }),
      () => 1,
      21,
    );
    const events = run(createDetector(), spec, 4 * DAY);
    expect(alarms(events)).toEqual([]);
  });

  it("a fan replaced by one 10% faster (hot-swap gap, then the new fan) raises no warning in 4 days", () => {
    const swap = 1.5 * DAY;
    const factor = (j: number, t: number) => (j !== 2 || t < swap - 90_000 ? 1 : t < swap ? 0 : 1.1);
    const events = run(
      createDetector(),
      chassis(() => STANDARD, factor, 22),
      4 * DAY,
    );
    expect(alarms(events)).toEqual([]);
  });

  it("the same chassis with a clogging filter after the curve change still warns, hours before 95 C", () => {
    const change = 1.2 * DAY;
    const clog = (t: number) => (t < 1.6 * DAY ? 0 : 0.85 * Math.min(1, (t - 1.6 * DAY) / (3 * DAY)) ** 1.5);
    const spec = chassis(
      (t) => (t < change ? STANDARD : { minDuty: 0.5, gain: 0.03 }),
      () => 1,
      23,
      clog,
    );
    const events = run(createDetector(), spec, 4.6 * DAY);
    const airflow = alarms(events).filter((e) => e.sensor === null);
    expect(airflow[0]).toMatchObject({ component: "thermal", severity: "warning" });
    let hot = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 4.6 * DAY && hot === Number.POSITIVE_INFINITY; t += 60_000)
      if ((spec.cpu?.(1, t) ?? 0) >= 95) hot = t;
    expect((airflow[0]?.ts as number) - 1_700_000_000_000).toBeLessThan(hot - 6 * HOUR);
  });
});
