import { readingCheck } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { bmcCritical } from "../../src/sim/bmc.js";
import { createHostModel, VENDOR_NAMES } from "../../src/sim/host.js";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

describe("sim host", () => {
  it.each(VENDOR_NAMES)("%s: valid, quantized readings in a plausible range", (vendor) => {
    const h = createHostModel({ host: "h1", seed: 1, vendor });
    const L = h.layout;
    for (let ts = T0; ts < T0 + 6 * HOUR; ts += 60_000) {
      for (const r of h.sample(ts)) {
        expect(readingCheck(r, "")).toBeNull();
        if (r.value === null) continue;
        if (r.type === "fan") {
          expect(r.value % L.fanQuantum).toBe(0);
          expect(r.value).toBeGreaterThan(1_500);
          expect(r.value).toBeLessThanOrEqual(L.fanMaxRpm);
        }
        if (r.type === "temperature") {
          expect(Number.isInteger(r.value)).toBe(true);
          expect(r.value).toBeGreaterThan(15);
          expect(r.value).toBeLessThan(90);
        }
        if (r.type === "voltage")
          expect(
            Math.abs(r.value / (r.sensor.includes("3.3") ? 3.3 : r.sensor.includes("5") ? 5 : 12) - 1),
          ).toBeLessThan(0.03);
        expect(bmcCritical(r)).toBe(false);
        if (r.type !== "power") expect(r.thresholds !== undefined).toBe(L.thresholds);
      }
    }
  });

  it("same seed, same readings; another seed differs", () => {
    const run = (seed: number) => {
      const h = createHostModel({ host: "h1", seed });
      return JSON.stringify(Array.from({ length: 60 }, (_, i) => h.sample(T0 + i * 60_000)));
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  it("fans follow load through the control loop, all together", () => {
    const h = createHostModel({ host: "h1", seed: 2 });
    const fans = (ts: number) =>
      h
        .sample(ts)
        .filter((r) => r.type === "fan")
        .map((r) => r.value as number);
    h.setLoad(0.1);
    let idle: number[] = [];
    for (let i = 0; i < 30; i++) idle = fans(T0 + i * 60_000);
    h.setLoad(1);
    let busy: number[] = [];
    for (let i = 30; i < 60; i++) busy = fans(T0 + i * 60_000);
    busy.forEach((b, j) => {
      expect(b).toBeGreaterThan((idle[j] as number) * 1.2);
    });
  });

  it("fan bearing wear crosses the BMC lower-critical threshold when predicted, and truth records it", () => {
    const h = createHostModel({ host: "h1", seed: 3, vendor: "supermicro" });
    h.setLoad(0.5);
    h.injectFault({ kind: "fan-wear", fan: 1, start: T0 + HOUR, durationMs: 20 * HOUR, stop: true });
    h.sample(T0);
    const predicted = h.predictBmcAlarm(T0 + 60_000) as number;
    expect(predicted).toBeGreaterThan(T0 + 10 * HOUR);
    let fired: number | null = null;
    for (let ts = T0 + 60_000; ts < T0 + 24 * HOUR && fired === null; ts += 60_000)
      if (h.sample(ts).some((r) => r.sensor === "FAN2" && bmcCritical(r))) fired = ts;
    expect(Math.abs((fired as number) - predicted)).toBeLessThan(30 * 60_000);
    for (let ts = (fired as number) + 60_000; ts < (fired as number) + HOUR; ts += 60_000) h.sample(ts);
    expect(Math.abs((h.truth()[0]?.failureAt as number) - (fired as number))).toBeLessThan(30 * 60_000);
  });

  it("power off: fans 0 RPM, CPU temperatures null, 0 W", () => {
    const h = createHostModel({ host: "h1", seed: 4, vendor: "lenovo" });
    h.sample(T0);
    h.setPower(false);
    const rs = h.sample(T0 + 60_000);
    expect(rs.filter((r) => r.type === "fan").every((r) => r.value === 0)).toBe(true);
    expect(rs.filter((r) => r.sensor.startsWith("CPU")).every((r) => r.value === null)).toBe(true);
    expect(rs.find((r) => r.type === "power")?.value).toBe(0);
  });
});
