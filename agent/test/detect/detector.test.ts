import { describe, expect, it } from "vitest";
import { createDetector, DEFAULT_DETECT_CONFIG, detectConfigCheck } from "../../src/detect/index.js";
import { HOUR, MIN, noise, q, run, sampleAt, T0 } from "./series.js";

const DAY = 24 * HOUR;

describe("detector - quiet on healthy data", () => {
  it("quantization and noise only: no event in 3 days", () => {
    const n = noise(1);
    const events = run(
      createDetector(),
      {
        fan: (j) => q(5_000 + 60 * j + 80 * n(), 100),
        cpu: (i) => q(58 + 2 * i + 0.8 * n(), 1),
        rail: () => q(12.03 + 0.03 * n(), 0.06),
      },
      3 * DAY,
    );
    expect(events).toEqual([]);
  });

  it("a fan-curve change (all fans step up 40%) and a load burst raise nothing", () => {
    const n = noise(2);
    const events = run(
      createDetector(),
      {
        fan: (_j, t) => q((t > DAY ? 7_000 : 5_000) * (1 + 0.01 * n()), 100),
        cpu: (i, t) => q((t > 1.5 * DAY && t < 1.6 * DAY ? 80 : 58) + i + n(), 1),
        powerW: (t) => (t > 1.5 * DAY && t < 1.6 * DAY ? 520 : 300),
      },
      3 * DAY,
    );
    expect(events).toEqual([]);
  });

  it("a one-sample glitch to 0 RPM raises nothing", () => {
    const events = run(createDetector(), { fan: (j, t) => (j === 2 && t === 5 * HOUR ? 0 : 5_000) }, 10 * HOUR);
    expect(events).toEqual([]);
  });

  it("host powered off (all fans 0 RPM 'cr', CPU temps null, 0 W) raises no critical", () => {
    const off = (t: number) => t > 2 * HOUR;
    const d = createDetector();
    const events = run(
      d,
      {
        fan: (_j, t) => (off(t) ? 0 : 5_000),
        cpu: (_i, t) => (off(t) ? null : 60),
        rail: (t) => (off(t) ? null : 12.06),
        powerW: (t) => (off(t) ? 0 : 300),
      },
      12 * HOUR,
    );
    expect(events.filter((e) => e.severity !== "info")).toEqual([]);
    expect(d.health("h1").status).toBe("ok");
  });
});

describe("detector - outages", () => {
  it("after a 19 h outage the fans come back in another regime: re-learned, not a degradation", () => {
    const n = noise(8);
    const dark = (t: number) => t > 3 * HOUR && t < 22 * HOUR;
    const d = createDetector();
    const events: ReturnType<typeof d.ingest> = [];
    for (let t = 0; t < 30 * HOUR; t += MIN) {
      if (dark(t)) continue; // the BMCs are unreachable: no readings at all
      const after = t >= 22 * HOUR;
      const spec = { fan: (j: number) => q((j === 3 && after ? 4_300 : 5_000) * (1 + 0.005 * n()), 100) };
      for (const r of sampleAt("h1", spec, t)) events.push(...d.ingest(r));
    }
    expect(events).toEqual([]);
  });
});

describe("detector - failures and degradations", () => {
  it("sudden fan stop is critical within 2 samples", () => {
    const stopAt = 6 * HOUR;
    const d = createDetector();
    const events = run(d, { fan: (j, t) => (j === 1 && t >= stopAt ? 0 : 5_000) }, 8 * HOUR);
    const crit = events.find((e) => e.severity === "critical");
    expect(crit).toMatchObject({ kind: "failure", component: "fan", sensor: "FAN2", host: "h1" });
    expect((crit?.ts as number) - (T0 + stopAt)).toBeLessThanOrEqual(MIN);
    expect(events.filter((e) => e.severity === "critical")).toHaveLength(1);
    expect(d.health("h1")).toMatchObject({ status: "critical" });
  });

  it("gradual fan bearing wear: warning, then one critical hours before the lower-critical threshold", () => {
    const n = noise(3);
    const start = DAY;
    const wear = (t: number) => (t < start ? 1 : Math.max(0, 1 - ((t - start) / (3 * DAY)) ** 2));
    const fan = (j: number, t: number) => q(5_000 * (j === 3 ? wear(t) : 1) * (1 + 0.005 * n()), 100);
    const events = run(createDetector(), { fan }, 5 * DAY);
    let crossing = 0;
    for (let t = 0; !crossing; t += MIN) if (5_000 * wear(t) <= 600) crossing = T0 + t;
    const warn = events.find((e) => e.severity === "warning");
    const crits = events.filter((e) => e.severity === "critical" && e.kind === "degradation");
    expect(warn?.sensor).toBe("FAN4");
    expect(crits).toHaveLength(1);
    // crossing the lower-critical threshold later is news too: an outright failure, never before the crossing
    // (a reading quantized to 100 RPM reaches the threshold up to ~30 min before the noise-free curve does)
    for (const f of events.filter((e) => e.kind === "failure"))
      expect(f.ts).toBeGreaterThanOrEqual(crossing - 30 * MIN);
    const crit = crits[0];
    expect(crit?.kind).toBe("degradation");
    expect((crit?.ts as number) < crossing - 4 * HOUR).toBe(true);
    expect((warn?.ts as number) < (crit?.ts as number)).toBe(true);
    expect(crit?.predictedFailureAt).not.toBeNull();
    expect(crit?.reason).toMatch(/FAN4 runs [\d,]+ RPM .* slower than FAN1, FAN2 and FAN3, which move with it/);
  });

  it("slow rail droop is caught with lead before the lower-critical threshold", () => {
    const n = noise(4);
    const start = DAY;
    const vTrue = (t: number) => 12.06 - (t < start ? 0 : 1.5 * ((t - start) / (4 * DAY)));
    const events = run(createDetector(), { rail: (t) => q(vTrue(t) + 0.02 * n(), 0.06) }, 5 * DAY);
    let crossing = 0;
    for (let t = 0; !crossing; t += MIN) if (vTrue(t) <= 10.8) crossing = T0 + t;
    const crit = events.find((e) => e.severity === "critical");
    expect(crit).toMatchObject({ component: "voltage", sensor: "12V", kind: "degradation" });
    expect((crit?.ts as number) <= crossing - 30 * MIN).toBe(true);
  });

  it("replaced fan re-baselines: the episode clears and the faster new fan raises nothing", () => {
    const n = noise(5);
    const start = DAY;
    const replaced = 2.2 * DAY;
    const fan = (j: number, t: number) => {
      if (j !== 0) return q(5_000 * (1 + 0.005 * n()), 100);
      if (t >= replaced) return q(5_800 * (1 + 0.005 * n()), 100); // new fan turns 16% faster
      const w = t < start ? 1 : 1 - 0.5 * ((t - start) / DAY) ** 2;
      return q(5_000 * Math.max(w, 0.3) * (1 + 0.005 * n()), 100);
    };
    const d = createDetector();
    const events = run(d, { fan }, 5 * DAY);
    const before = events.filter((e) => e.ts < T0 + replaced);
    const after = events.filter((e) => e.ts >= T0 + replaced);
    expect(before.some((e) => e.sensor === "FAN1" && e.severity === "warning")).toBe(true);
    expect(after.map((e) => e.kind)).toEqual(["cleared"]);
    expect(d.health("h1").status).toBe("ok");
  });

  it("CPU running away from its twin (paste) becomes a thermal degradation", () => {
    const n = noise(6);
    const events = run(
      createDetector(),
      {
        cpu: (i, t) => q(60 + n() + (i === 0 && t > DAY ? 30 * ((t - DAY) / (2 * DAY)) : 0), 1),
      },
      3 * DAY,
    );
    const first = events[0];
    expect(first).toMatchObject({ component: "thermal", sensor: "CPU1 Temp", severity: "warning" });
  });

  it("clogged airflow (fans faster and CPUs hotter at the same power) is a host-level thermal degradation", () => {
    const n = noise(7);
    const start = 1.5 * DAY;
    const clog = (t: number) => (t < start ? 0 : ((t - start) / (3 * DAY)) ** 1.5);
    const daily = (t: number) => 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / DAY);
    const events = run(
      createDetector(),
      {
        powerW: (t) => q(250 + 150 * daily(t), 10),
        fan: (_j, t) => q((4_000 + 2_000 * daily(t)) * (1 + 0.6 * clog(t)) * (1 + 0.005 * n()), 100),
        cpu: (i, t) => q(22 + (25 + 20 * daily(t)) * (1 + 1.2 * clog(t)) + i + n(), 1),
      },
      4.5 * DAY,
    );
    let crossing = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 4.5 * DAY && crossing === Number.POSITIVE_INFINITY; t += MIN)
      if (22 + (25 + 20 * daily(t)) * (1 + 1.2 * clog(t)) >= 95) crossing = T0 + t;
    const airflow = events.filter((e) => e.sensor === null);
    expect(airflow[0]).toMatchObject({ component: "thermal", severity: "warning", kind: "degradation" });
    expect(airflow[0]?.reason).toMatch(/less heat per unit of airflow/);
    expect((airflow[0]?.ts as number) < crossing - 6 * HOUR).toBe(true);
    expect(events.filter((e) => e.ts < T0 + start)).toEqual([]);
  });

  it("a low CMOS battery is a warning, never critical", () => {
    const events = run(
      createDetector(),
      {
        extra: (ts) => [
          { ts, host: "h1", sensor: "CMOS Battery", type: "voltage", unit: "V", value: 1.98, status: "cr" },
        ],
      },
      2 * HOUR,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: "warning", component: "sensor", sensor: "CMOS Battery" });
  });

  it("event ids are unique and the same on a second run", () => {
    const spec = { fan: (j: number, t: number) => (j === 1 && t >= 3 * HOUR && t < 4 * HOUR ? 0 : 5_000) };
    const a = run(createDetector({ failureClearMs: HOUR }), spec, 8 * HOUR);
    const b = run(createDetector({ failureClearMs: HOUR }), spec, 8 * HOUR);
    expect(a.map((e) => e.kind)).toEqual(["failure", "cleared"]);
    expect(new Set(a.map((e) => e.id)).size).toBe(a.length);
    expect(b).toEqual(a);
  });
});

describe("detector - config", () => {
  it("the config check accepts a partial section and names a bad key", () => {
    expect(detectConfigCheck({ horizonMs: 3_600_000 }, "detect")).toBeNull();
    expect(detectConfigCheck({ horizonMs: -1 }, "detect")).toMatch(/detect\.horizonMs/);
    expect(DEFAULT_DETECT_CONFIG.confirmSamples).toBeLessThanOrEqual(2);
  });

  it("samples of other hosts do not mix", () => {
    const d = createDetector();
    for (let t = 0; t < 4 * HOUR; t += MIN) {
      for (const r of sampleAt("a", {}, t)) d.ingest(r);
      for (const r of sampleAt("b", { fan: (j) => (j === 0 && t > HOUR ? 0 : 5_000) }, t)) d.ingest(r);
    }
    expect(d.health("a").status).toBe("ok");
    expect(d.health("b").status).toBe("critical");
    expect(d.health("nobody").status).toBe("unknown");
  });
});
