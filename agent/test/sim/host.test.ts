import { type Reading, readingCheck } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { bmcCritical } from "../../src/sim/bmc.js";
import { createHostModel, type SimHost, VENDOR_NAMES } from "../../src/sim/host.js";
import { CPU_ZONE, PERIPHERAL_ZONE } from "../../src/sim/zones.js";

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 3_600_000;

/** Run the host for `minutes` at load u; return every sample. */
function run(h: SimHost, from: number, minutes: number, u: number | null): Reading[][] {
  h.setLoad(u);
  return Array.from({ length: minutes }, (_, i) => h.sample(from + i * MIN));
}
const value = (rs: Reading[], sensor: string) => rs.find((r) => r.sensor === sensor)?.value as number;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("sim host", () => {
  it.each(VENDOR_NAMES)("%s: valid readings, quantized as the vendor's BMC does, in a plausible range", (vendor) => {
    const h = createHostModel({ host: "h1", seed: 1, vendor });
    const L = h.layout;
    for (let ts = T0; ts < T0 + 6 * HOUR; ts += MIN) {
      for (const r of h.sample(ts)) {
        expect(readingCheck(r, "")).toBeNull();
        if (r.value === null) continue;
        if (r.type === "fan") {
          expect(r.unit).toBe(L.fanUnit);
          if (L.tach.kind === "step") expect(r.value % 120 === 0 || r.value % 100 === 0).toBe(true);
          if (L.tach.kind === "period") {
            const clock = L.tach.clockRpm;
            expect(Math.abs(clock / Math.round(clock / r.value) - r.value)).toBeLessThanOrEqual(0.5);
          }
          if (L.tach.kind === "duty") {
            expect(Math.abs((r.value * 255) / 100 - Math.round((r.value * 255) / 100))).toBeLessThan(0.02);
            expect(r.value).toBeGreaterThan(15);
            expect(r.value).toBeLessThanOrEqual(100);
          } else {
            expect(r.value).toBeGreaterThan(1_500);
            expect(r.value).toBeLessThanOrEqual(L.fanMaxRpm);
          }
        }
        if (r.type === "temperature") {
          expect(Number.isInteger(r.value)).toBe(true);
          expect(r.value).toBeGreaterThan(15);
          expect(r.value).toBeLessThan(90);
        }
        expect(bmcCritical(r)).toBe(false);
        if (r.type === "fan" || r.type === "temperature" || r.type === "voltage")
          expect(r.thresholds !== undefined).toBe(h.thresholds);
      }
    }
  });

  it("thresholds are published or not per host, whatever the vendor", () => {
    const on = createHostModel({ host: "h1", seed: 1, vendor: "hpe", thresholds: true }).sample(T0);
    const off = createHostModel({ host: "h1", seed: 1, vendor: "dell", thresholds: false }).sample(T0);
    expect(on.find((r) => r.type === "fan")?.thresholds?.lcr).toBe(10);
    expect(off.every((r) => r.thresholds === undefined && r.status === undefined)).toBe(true);
  });

  it("same seed, same readings; another seed differs", () => {
    const take = (seed: number) => JSON.stringify(run(createHostModel({ host: "h1", seed }), T0, 60, null));
    expect(take(5)).toBe(take(5));
    expect(take(5)).not.toBe(take(6));
  });

  it("zone layout is drawn per host: both zones present, and not the same layout on every host", () => {
    const layouts = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const z = createHostModel({ host: `h${i}`, seed: 1, vendor: "supermicro" }).zones;
      expect(z).toContain(CPU_ZONE);
      expect(z).toContain(PERIPHERAL_ZONE);
      layouts.add(z.join(""));
    }
    expect(layouts.size).toBeGreaterThan(3);
  });

  it.each(VENDOR_NAMES)(
    "%s: under load the CPU zone speeds up and the peripheral zone does not (ratio moves)",
    (vendor) => {
      const h = createHostModel({ host: "h7", seed: 2, vendor, randomBursts: false });
      const cpuFan = h.layout.fans[h.zones.indexOf(CPU_ZONE)] as string;
      const perFan = h.layout.fans[h.zones.indexOf(PERIPHERAL_ZONE)] as string;
      const idle = run(h, T0, 60, 0.1).at(-1) as Reading[];
      const burst = run(h, T0 + HOUR, 3, 1);
      const busy = run(h, T0 + HOUR + 3 * MIN, 60, 1).at(-1) as Reading[];
      const ratio = (rs: Reading[]) => value(rs, cpuFan) / value(rs, perFan);
      expect(ratio(busy)).toBeGreaterThan(1.6 * ratio(idle));
      expect(value(busy, perFan)).toBeLessThan(1.3 * value(idle, perFan));
      // ramp-limited loop: the CPUs overshoot their settled temperature right after the load step
      const cpu = h.layout.cpus[0] as string;
      expect(Math.max(...burst.map((rs) => value(rs, cpu)))).toBeGreaterThanOrEqual(value(busy, cpu));
    },
  );

  it.each(["dell", "lenovo"])("%s: the B rotor of each fan turns 8-15 %% slower than its A rotor", (vendor) => {
    for (const host of ["a", "b", "c"]) {
      const h = createHostModel({ host, seed: 3, vendor, randomBursts: false });
      const rs = run(h, T0, 120, 0.9).slice(60);
      const fans = h.layout.fans;
      for (let j = 0; j < fans.length; j += 2) {
        const a = mean(rs.map((r) => value(r, fans[j] as string)));
        const b = mean(rs.map((r) => value(r, fans[j + 1] as string)));
        expect(b / a).toBeGreaterThan(0.85);
        expect(b / a).toBeLessThan(0.92);
      }
    }
  });

  it("HPE reports duty %: a stopped fan reads 0 % while the BMC drives the others to its failsafe duty", () => {
    const h = createHostModel({ host: "h1", seed: 4, vendor: "hpe", randomBursts: false });
    run(h, T0, 30, 0.3);
    h.injectFault({ kind: "fan-stop", fan: 2, start: T0 + 30 * MIN });
    const rs = run(h, T0 + 30 * MIN, 3, 0.3).at(-1) as Reading[];
    const fans = rs.filter((r) => r.type === "fan");
    expect(fans.every((r) => r.unit === "%")).toBe(true);
    expect(fans[2]?.value).toBe(0);
    for (const [j, r] of fans.entries()) if (j !== 2) expect(r.value).toBeGreaterThanOrEqual(60);
  });

  it("each CPU has its own load: healthy twins differ by a little, more when a burst lands on one", () => {
    const h = createHostModel({ host: "h2", seed: 5, vendor: "supermicro", randomBursts: false });
    const [c1, c2] = h.layout.cpus as [string, string];
    const diff = (rss: Reading[][]) => mean(rss.map((rs) => Math.abs(value(rs, c1) - value(rs, c2))));
    const quiet = diff(run(h, T0, 24 * 60, null).slice(60));
    h.applyConfounder({
      kind: "load-burst",
      start: T0 + 25 * HOUR,
      durationMs: HOUR,
      extra: 0.35,
      cpu: 0,
      share: 0.85,
    });
    const burst = diff(run(h, T0 + 25 * HOUR, 60, null).slice(10));
    expect(quiet).toBeGreaterThan(0.4);
    expect(burst).toBeGreaterThan(quiet + 2);
  });

  it("fan bearing wear crosses the BMC lower-critical threshold when predicted, and truth records it", () => {
    const h = createHostModel({ host: "h1", seed: 3, vendor: "supermicro", randomBursts: false });
    h.setLoad(0.5);
    h.injectFault({ kind: "fan-wear", fan: 1, start: T0 + HOUR, durationMs: 20 * HOUR, stop: true });
    h.sample(T0);
    const predicted = h.predictBmcAlarm(T0 + MIN) as number;
    expect(predicted).toBeGreaterThan(T0 + 10 * HOUR);
    let fired: number | null = null;
    for (let ts = T0 + MIN; ts < T0 + 24 * HOUR && fired === null; ts += MIN)
      if (h.sample(ts).some((r) => r.sensor === "FAN2" && bmcCritical(r))) fired = ts;
    expect(Math.abs((fired as number) - predicted)).toBeLessThan(30 * MIN);
    for (let ts = (fired as number) + MIN; ts < (fired as number) + HOUR; ts += MIN) h.sample(ts);
    expect(Math.abs((h.truth()[0]?.failureAt as number) - (fired as number))).toBeLessThan(30 * MIN);
  });

  it("thermal paste: one CPU runs hotter than its twin at equal load, until it can no longer hold full load", () => {
    const h = createHostModel({ host: "h3", seed: 6, vendor: "dell", randomBursts: false });
    const [c1, c2] = h.layout.cpus as [string, string];
    const before = run(h, T0, 60, 0.5).at(-1) as Reading[];
    h.injectFault({ kind: "paste", cpu: 1, start: T0 + HOUR, durationMs: 10 * HOUR });
    const after = run(h, T0 + HOUR, 10 * 60, 0.5).at(-1) as Reading[];
    expect(value(after, c2) - value(after, c1)).toBeGreaterThan(value(before, c2) - value(before, c1) + 8);
    expect(h.truth()[0]?.failureAt).not.toBeNull();
  });

  it("filter clog: fans pinned near full duty and CPUs hotter at the same load", () => {
    const h = createHostModel({ host: "h4", seed: 7, vendor: "supermicro", randomBursts: false });
    const before = run(h, T0, 60, 0.6).at(-1) as Reading[];
    h.injectFault({ kind: "filter-clog", start: T0 + HOUR, durationMs: 8 * HOUR });
    const after = run(h, T0 + HOUR, 8 * 60, 0.6).at(-1) as Reading[];
    const fans = (rs: Reading[]) => mean(rs.filter((r) => r.type === "fan").map((r) => r.value as number));
    expect(fans(after)).toBeGreaterThan(0.85 * h.layout.fanMaxRpm);
    expect(fans(after)).toBeGreaterThan(1.4 * fans(before));
    expect(value(after, "CPU1 Temp")).toBeGreaterThan(value(before, "CPU1 Temp") + 5);
  });

  it("PSU aging: the supply's output share falls, it runs hotter, 12 V droops with ripple, then it drops out", () => {
    const h = createHostModel({ host: "h5", seed: 8, vendor: "dell", randomBursts: false });
    const before = run(h, T0, 60, 0.5);
    h.injectFault({ kind: "psu-aging", psu: 2, start: T0 + HOUR, durationMs: 10 * HOUR });
    const late = run(h, T0 + 9 * HOUR, 90, 0.5);
    const gone = run(h, T0 + 11 * HOUR + MIN, 2, 0.5).at(-1) as Reading[];
    const avg = (rss: Reading[][], s: string) => mean(rss.map((rs) => value(rs, s)));
    const spread = (rss: Reading[][], s: string) =>
      Math.max(...rss.map((rs) => value(rs, s))) - Math.min(...rss.map((rs) => value(rs, s)));
    expect(avg(late, "Current 2") / avg(late, "Current 1")).toBeLessThan(
      0.8 * (avg(before, "Current 2") / avg(before, "Current 1")),
    );
    expect(avg(late, "PS2 12V")).toBeLessThan(avg(before, "PS2 12V") - 0.1);
    expect(spread(late, "PS2 12V")).toBeGreaterThan(spread(before, "PS2 12V"));
    expect(value(gone, "PS2 12V")).toBe(0);
    expect(value(gone, "Current 2")).toBe(0);
    expect(h.truth()[0]?.failureAt).toBeGreaterThanOrEqual(T0 + 11 * HOUR);
  });

  it("a fault the host cannot have is a clear error, not a silent no-op", () => {
    const h = createHostModel({ host: "h1", seed: 1, vendor: "supermicro" });
    expect(() => h.injectFault({ kind: "fan-stop", fan: 9, start: T0 })).toThrow(/fan must be a fan sensor index 0..5/);
    expect(() => h.injectFault({ kind: "psu-aging", rail: 0, start: T0, durationMs: HOUR } as never)).toThrow(
      /psu must be 1 or 2/,
    );
    expect(() => h.injectFault({ kind: "fan-melt", start: T0 } as never)).toThrow(/unknown fault kind "fan-melt"/);
    expect(() => h.injectFault({ kind: "fan-wear", fan: 1, start: T0, durationMs: 0 })).toThrow(/durationMs > 0/);
  });

  it("power off: fans 0 RPM, CPU temperatures null, 0 W", () => {
    const h = createHostModel({ host: "h1", seed: 4, vendor: "lenovo" });
    h.sample(T0);
    h.setPower(false);
    const rs = h.sample(T0 + MIN);
    expect(rs.filter((r) => r.type === "fan").every((r) => r.value === 0)).toBe(true);
    const cpus = rs.filter((r) => h.layout.cpus.includes(r.sensor));
    expect(cpus.length).toBe(2);
    expect(cpus.every((r) => r.value === null)).toBe(true);
    expect(rs.find((r) => r.type === "power")?.value).toBe(0);
  });
});
