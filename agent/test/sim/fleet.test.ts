import { readingCheck } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { createFleet } from "../../src/sim/fleet.js";
import { fleetTruthJson } from "../../src/sim/truth.js";

const DAY = 86_400_000;

describe("sim fleet", () => {
  it("valid readings in time order with quirks, several vendors, ground truth for every fault", () => {
    const fleet = createFleet({ seed: 42, hosts: 10, days: 2, faultFraction: 1, intervalsMs: [120_000] });
    let last = 0;
    let nulls = 0;
    let n = 0;
    const lastByHost = new Map<string, number>();
    const hosts = new Set<string>();
    const problems: string[] = [];
    for (const r of fleet.readings()) {
      n++;
      const err = readingCheck(r, "");
      if (err) problems.push(err);
      if (r.ts < last) problems.push(`ts ${r.ts} before ${last}`);
      last = r.ts;
      if (r.ts < (lastByHost.get(r.host) ?? 0)) problems.push(`${r.host} goes back in time`);
      lastByHost.set(r.host, r.ts);
      if (r.value === null) nulls++;
      hosts.add(r.host);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(hosts.size).toBe(10);
    expect(n).toBeGreaterThan(10 * 1440 * 10 * 0.9);
    expect(nulls).toBeGreaterThan(0);
    const truth = fleet.truth();
    expect(new Set(truth.map((t) => t.vendor)).size).toBeGreaterThan(1);
    for (const t of truth) {
      expect(t.fault).not.toBeNull();
      expect(t.fault?.start).toBeGreaterThanOrEqual(fleet.start);
      expect(t.fault?.start).toBeLessThan(fleet.end);
      if (t.failureAt !== null) expect(t.failureAt).toBeGreaterThanOrEqual(t.fault?.start as number);
    }
    expect(truth.some((t) => t.failureAt !== null)).toBe(true);
  });

  it("truth in the fleet-v2 format: faults with onset and failAt, confounder windows, sensors seen", () => {
    const o = { seed: 21, hosts: 8, days: 3, faultFraction: 1, intervalsMs: [120_000] };
    const fleet = createFleet(o);
    const seen = new Map<string, Set<string>>();
    for (const r of fleet.readings()) {
      const s = seen.get(r.host) ?? new Set<string>();
      s.add(r.sensor);
      seen.set(r.host, s);
    }
    const t = fleetTruthJson(fleet, o);
    expect(t.version).toBe(2);
    expect(Object.keys(t.hosts).length).toBe(8);
    expect(t.totals.hostDays).toBeGreaterThan(8 * 2.5);
    for (const [name, h] of Object.entries(t.hosts)) {
      expect(new Set(h.sensors)).toEqual(seen.get(name));
      expect(h.faults.length).toBe(1);
      const f = h.faults[0] as (typeof h.faults)[number];
      expect(["fan_wear", "fan_sudden", "fan_intermittent", "psu_aging", "filter_clog", "thermal_paste"]).toContain(
        f.mode,
      );
      expect(f.sensors.length).toBeGreaterThan(0);
      for (const s of f.sensors) expect(seen.get(name)?.has(s) ?? false).toBe(true);
      if (!f.censored) expect(f.failAt as number).toBeGreaterThanOrEqual(f.onset);
      expect(f.sudden).toBe(f.mode === "fan_sudden");
      for (const c of h.confounders) expect(c.end).toBeGreaterThanOrEqual(c.start);
      expect(h.confounders.some((c) => c.kind === "load_burst")).toBe(true);
    }
  });

  it("short traces still get faults inside them, with positive durations", () => {
    const fleet = createFleet({ seed: 5, hosts: 12, days: 0.5, faultFraction: 1 });
    for (const t of fleet.hosts) {
      const f = t.fault as NonNullable<typeof t.fault>;
      expect(f.start).toBeGreaterThan(fleet.start);
      expect(f.start).toBeLessThan(fleet.end);
      if ("durationMs" in f) {
        expect(f.durationMs).toBeGreaterThan(0);
        expect(f.start + f.durationMs).toBeLessThan(fleet.end);
      }
    }
  });

  it("the same seed gives the same trace", () => {
    const take = (seed: number) => {
      const out: string[] = [];
      for (const r of createFleet({ seed, hosts: 3, days: 0.1 }).readings()) out.push(JSON.stringify(r));
      return out.join("\n");
    };
    expect(take(7)).toBe(take(7));
    expect(take(7)).not.toBe(take(8));
  });

  it("sudden fan stops in a generated fleet are caught critical within 2 samples", () => {
    const fleet = createFleet({
      seed: 9,
      hosts: 6,
      days: 2,
      intervalsMs: [60_000],
      faultFraction: 1,
      faultKinds: ["fan-stop"],
      quirks: false,
    });
    const det = createDetector();
    const crit = new Map<string, number>();
    const samplesAfter = new Map<string, number>();
    const stops = new Map(fleet.hosts.map((h) => [h.host, h.fault?.start ?? Number.POSITIVE_INFINITY]));
    const power = new Map<string, number>();
    for (const r of fleet.readings()) {
      // count samples (one power reading per sample) after the stop until the critical
      if (r.type === "power" && r.ts >= (stops.get(r.host) as number) && !crit.has(r.host))
        power.set(r.host, (power.get(r.host) ?? 0) + 1);
      // latency only: criticals before the stop are false alarms, which pnpm bench:detect counts
      for (const e of det.ingest(r))
        if (e.severity === "critical" && !crit.has(e.host) && e.ts >= (stops.get(e.host) as number)) {
          crit.set(e.host, e.ts);
          samplesAfter.set(e.host, (power.get(e.host) ?? 0) + 1);
        }
    }
    expect(crit.size).toBe(6);
    for (const [host, ts] of crit) {
      expect(ts).toBeGreaterThanOrEqual(stops.get(host) as number);
      expect(samplesAfter.get(host)).toBeLessThanOrEqual(2);
    }
    expect(fleet.truth().every((t) => t.failureAt !== null && t.failureAt < fleet.end - DAY / 24)).toBe(true);
  });
});
