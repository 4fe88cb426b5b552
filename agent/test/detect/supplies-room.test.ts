/**
 * A supply aging on a host that reports no per-supply output (only its 12 V rail, quantized like a BMC's), a
 * healthy rail that droops with load (load-line regulation), and the room as context: a supply's own inlet is
 * not the room, and a CRAC excursion is the inlet leaving its own recent level.
 */
import type { Reading } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { classify, Role } from "../../src/detect/classify.js";
import { DEFAULT_DETECT_CONFIG } from "../../src/detect/config.js";
import { HostContext } from "../../src/detect/host.js";
import { createDetector } from "../../src/detect/index.js";
import { HOUR, type HostSpec, MIN, noise, q, run } from "./series.js";

const DAY = 24 * HOUR;
const STEP = 0.0592; // a BMC's 12 V resolution (Lenovo)

/** power follows a daily cycle; the 12 V rail sags 40 mV from idle to peak and rounds to the BMC's step */
function host(seed: number, dipRate: (t: number) => number = () => 0): HostSpec {
  const n = noise(seed);
  const u = (t: number) => 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / DAY);
  return {
    powerW: (t) => 250 + 250 * u(t) + 5 * n(),
    cpu: (_i, t) => 45 + 25 * u(t) + n(),
    rail: (t) => {
      const sag = 12.03 - 0.04 * u(t) + 0.012 * n();
      // an aging supply's loosening regulation: more and more samples one or two steps low
      const dip = (n() + 1) / 2 < dipRate(t) ? STEP * (1 + (n() > 0.3 ? 1 : 0)) : 0;
      return q(sag - dip, STEP);
    },
  };
}

describe("detector - supplies seen on their rail", () => {
  it("a healthy rail that droops one step at every daily peak raises nothing in 5 days", () => {
    const events = run(createDetector(), host(11), 5 * DAY).filter((e) => e.sensor === "12V");
    expect(events).toEqual([]);
  });

  it("an aging supply's growing dips below the rail's daily floor: a warning, then a critical, naming the rail", () => {
    const onset = 2.5 * DAY;
    const rate = (t: number) => (t < onset ? 0 : Math.min(0.6, (t - onset) / DAY / 2));
    const events = run(createDetector(), host(12, rate), 5 * DAY).filter((e) => e.sensor === "12V");
    const warning = events.find((e) => e.severity === "warning");
    const critical = events.find((e) => e.severity === "critical");
    expect(warning?.reason).toMatch(/dips below the lowest level it kept for a day/);
    expect(critical).toBeDefined();
    expect(warning && critical && warning.ts < critical.ts).toBe(true);
    // not before the dips began, and within two days of them
    expect((warning?.ts ?? 0) - 1_700_000_000_000).toBeGreaterThan(onset);
    expect((critical?.ts ?? 0) - 1_700_000_000_000).toBeLessThan(onset + 2 * DAY);
  });
});

describe("detector - the room is context", () => {
  const temp = (sensor: string): Reading => ({ ts: 0, host: "h", sensor, type: "temperature", unit: "C", value: 30 });

  it("a supply's own inlet is the supply's heat, not the room", () => {
    expect(classify(temp("32-P/S 1 Inlet"))).toBe(Role.OtherTemp);
    expect(classify(temp("PS1 Inlet Temp"))).toBe(Role.OtherTemp);
    expect(classify(temp("01-Inlet Ambient"))).toBe(Role.Inlet);
    expect(classify(temp("Inlet Temp"))).toBe(Role.Inlet);
  });

  it("names a firmware update spells with underscores mean the same", () => {
    const power = (sensor: string): Reading => ({ ts: 0, host: "h", sensor, type: "power", unit: "W", value: 150 });
    expect(classify(power("Power_Supply_1"))).toBe(Role.PsuOutput);
    expect(classify(power("Power_Meter"))).toBe(Role.Power);
    expect(classify(temp("Temp_2"))).toBe(Role.Cpu);
    expect(classify(temp("01-Inlet_Ambient"))).toBe(Role.Inlet);
    expect(classify(temp("33-P/S_2_Inlet"))).toBe(Role.OtherTemp);
  });

  it("a CRAC excursion moves the room until the inlet is back near its own level; a second inlet sensor is ignored", () => {
    const ctx = new HostContext("h", DEFAULT_DETECT_CONFIG);
    let t = 0;
    const feed = (v: number, minutes: number) => {
      for (let k = 0; k < minutes; k++, t += MIN) {
        ctx.recordInlet("Inlet Temp", v, t);
        ctx.recordInlet("Front Panel Ambient", v + 15, t);
      }
    };
    feed(22, 12 * 60);
    expect(ctx.roomMoving()).toBe(false);
    feed(29, 3 * 60);
    expect(ctx.roomMoving()).toBe(true);
    feed(22, 30);
    expect(ctx.roomMoving()).toBe(true); // settling: its 6-h level is still well above 22
    feed(22, 8 * 60);
    expect(ctx.roomMoving()).toBe(false);
  });
});
