import { HostState, type PlanMove, type VmRecord } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMoves } from "../../src/balance/apply.js";
import { demandByHost, measureImbalance } from "../../src/balance/imbalance.js";
import {
  type Aggressiveness,
  planRebalance,
  RETURN_BAN_COOLDOWNS,
  type RebalanceOptions,
  TOLERANCE,
  TOLERANCE_STOP_FRACTION,
} from "../../src/balance/planner.js";
import type { FleetView, HostView } from "../../src/model.js";
import { isEligibleTarget, placementBlocker } from "../../src/placement/capacity.js";
import { fleetArb } from "./fleet-arb.js";

const HOUR = 3_600_000;
const headroom = { cpu: 0.1, memory: 0.1 };
const opts = (o: Partial<RebalanceOptions> = {}): RebalanceOptions => ({
  aggressiveness: 3,
  maxMoves: 10,
  headroom,
  now: 10 * HOUR,
  cooldownMs: HOUR,
  lastMoved: new Map(),
  ...o,
});
const optsArb = fc.record({
  aggressiveness: fc.constantFrom<Aggressiveness>(1, 2, 3, 4, 5),
  maxMoves: fc.integer({ min: 1, max: 20 }),
  headroom: fc.record({
    cpu: fc.double({ min: 0, max: 0.3, noNaN: true }),
    memory: fc.double({ min: 0, max: 0.3, noNaN: true }),
  }),
});

const host = (name: string, o: Partial<HostView> = {}): HostView => ({
  name,
  state: HostState.Healthy,
  cpuCapacity: 32,
  memoryMiB: 131_072,
  up: true,
  ...o,
});
const vm = (id: string, on: string, cpuDemand: number, o: Partial<VmRecord> = {}): VmRecord => ({
  id,
  host: on,
  home: on,
  memoryMiB: 4096,
  vcpus: 8,
  cpuDemand,
  ...o,
});

/** Replays moves one at a time, failing on the first that breaks a placement rule. */
function assertSafe(fleet: FleetView, moves: PlanMove[], h: { cpu: number; memory: number }): void {
  let cur = fleet;
  for (const m of moves) {
    const v = cur.vms.find((x) => x.id === m.vm) as VmRecord;
    const to = cur.hosts.find((x) => x.name === m.to) as HostView;
    const from = cur.hosts.find((x) => x.name === m.from) as HostView;
    expect(v.host).toBe(m.from);
    expect(to.state).toBe(HostState.Healthy);
    expect(isEligibleTarget(to)).toBe(true);
    expect(from.state).toBe(HostState.Healthy);
    const usage = demandByHost(cur).get(to.name);
    expect(usage && placementBlocker(v, to, usage, h)).toBeNull();
    cur = applyMoves(cur, [m]);
  }
}

describe("balance planner - properties on random fleets", () => {
  it("never breaks capacity, headroom or anti-affinity and never targets a non-healthy host", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, (fleet, o) => {
        const r = planRebalance(fleet, opts(o));
        assertSafe(fleet, r.moves, o.headroom);
        expect(r.moves.length).toBeLessThanOrEqual(o.maxMoves);
        expect(new Set(r.moves.map((m) => m.vm)).size).toBe(r.moves.length);
      }),
      { numRuns: 300 },
    );
  });

  it("imbalance never increases, move by move, and the reported figures match the moved fleet", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, (fleet, o) => {
        const r = planRebalance(fleet, opts(o));
        expect(r.imbalanceBefore).toBeCloseTo(measureImbalance(fleet).score, 9);
        let prev = r.imbalanceBefore;
        for (let i = 1; i <= r.moves.length; i++) {
          const s = measureImbalance(applyMoves(fleet, r.moves.slice(0, i))).score;
          expect(s).toBeLessThan(prev);
          prev = s;
        }
        expect(r.imbalanceAfter).toBeCloseTo(prev, 9);
      }),
      { numRuns: 300 },
    );
  });

  it("moves nothing while evacuations are running", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, (fleet, o) => {
        const r = planRebalance(fleet, opts({ ...o, evacuationsRunning: true }));
        expect(r.moves).toEqual([]);
        expect(r.imbalanceAfter).toBe(r.imbalanceBefore);
        expect(r.reason).toMatch(/evacuation/);
      }),
    );
  });

  /** Runs planning rounds, applying each plan; `drift` rescales VM demand between rounds. */
  function rounds(fleet: FleetView, o: Partial<RebalanceOptions>, steps: { gapMin: number; drift: number }[]) {
    const lastMoved = new Map<string, number>();
    const lastFrom = new Map<string, string>();
    const path = new Map<string, string[]>();
    const times = new Map<string, number[]>();
    const twiceInWindow: string[] = [];
    let cur = fleet;
    let now = 0;
    for (const [round, { gapMin, drift }] of steps.entries()) {
      now += gapMin * 60_000;
      if (drift > 0)
        cur = {
          ...cur,
          vms: cur.vms.map((v, i) => ({ ...v, cpuDemand: v.vcpus * (((i * 7919 + round * 104_729) * drift) % 1) })),
        };
      const r = planRebalance(cur, opts({ ...o, now, cooldownMs: HOUR, lastMoved, lastFrom }));
      for (const m of r.moves) {
        const last = lastMoved.get(m.vm);
        if (last !== undefined && now - last < HOUR) twiceInWindow.push(m.vm);
        lastMoved.set(m.vm, now);
        lastFrom.set(m.vm, m.from);
        path.set(m.vm, [...(path.get(m.vm) ?? [m.from]), m.to]);
        times.set(m.vm, [...(times.get(m.vm) ?? []), now]);
      }
      cur = applyMoves(cur, r.moves);
    }
    /** A -> B -> A where the move back came within the return ban of the move away */
    const pingPong: string[] = [];
    for (const [vm, p] of path) {
      const t = times.get(vm) as number[];
      for (let i = 2; i < p.length; i++)
        if (p[i] === p[i - 2] && (t[i - 1] as number) - (t[i - 2] as number) < RETURN_BAN_COOLDOWNS * HOUR)
          pingPong.push(`${vm}: ${p.join(" -> ")}`);
    }
    return { twiceInWindow, pingPong };
  }
  const stepsArb = (drift: fc.Arbitrary<number>) =>
    fc.array(fc.record({ gapMin: fc.integer({ min: 1, max: 3 * 60 }), drift }), { minLength: 3, maxLength: 12 });

  it("while demand drifts no VM moves twice inside the cool-down nor goes A -> B -> A within the return ban", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, stepsArb(fc.double({ min: 0.01, max: 1, noNaN: true })), (fleet, o, steps) => {
        const r = rounds(fleet, o, steps);
        expect(r.twiceInWindow).toEqual([]);
        expect(r.pingPong).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("under steady demand no VM goes A -> B -> A within the return ban either", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, stepsArb(fc.constant(0)), (fleet, o, steps) => {
        expect(rounds(fleet, o, steps).pingPong).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("leaves a fleet within its tolerance alone, and once started stops at the first move below the stop level", () => {
    fc.assert(
      fc.property(fleetArb, optsArb, fc.double({ min: 0, max: 0.4, noNaN: true }), (fleet, o, tolerance) => {
        const r = planRebalance(fleet, opts({ ...o, tolerance }));
        if (r.imbalanceBefore <= tolerance) {
          expect(r.moves).toEqual([]);
          return;
        }
        // every move but the last leaves the fleet above the stop level: the plan moves toward it, not past it
        const stop = tolerance * TOLERANCE_STOP_FRACTION;
        for (let i = 1; i < r.moves.length; i++)
          expect(measureImbalance(applyMoves(fleet, r.moves.slice(0, i))).score).toBeGreaterThan(stop);
      }),
      { numRuns: 300 },
    );
  });

  it("a higher aggressiveness only adds moves after the ones a lower one makes", () => {
    fc.assert(
      fc.property(fleetArb, fc.constantFrom<Aggressiveness>(1, 2, 3, 4), (fleet, a) => {
        const low = planRebalance(fleet, opts({ aggressiveness: a, maxMoves: 30 }));
        const high = planRebalance(fleet, opts({ aggressiveness: (a + 1) as Aggressiveness, maxMoves: 30 }));
        expect(high.moves.slice(0, low.moves.length)).toEqual(low.moves);
      }),
    );
  });
});

describe("balance planner - examples", () => {
  const skewed: FleetView = {
    hosts: [host("hot"), host("cold1"), host("cold2")],
    vms: [vm("a", "hot", 8), vm("b", "hot", 8), vm("c", "hot", 6), vm("d", "hot", 4), vm("e", "cold1", 2)],
  };

  it("moves load off the hot host and says how much imbalance drops", () => {
    const r = planRebalance(skewed, opts());
    expect(r.moves.length).toBeGreaterThan(0);
    expect(r.moves.every((m) => m.from === "hot")).toBe(true);
    expect(r.imbalanceAfter).toBeLessThan(r.imbalanceBefore / 2);
    expect(r.reason).toContain(`${r.moves.length} move(s) lower imbalance`);
  });

  it("never fills an empty suspect, maintenance or unreachable host", () => {
    const fleet: FleetView = {
      hosts: [
        host("hot"),
        host("sus", { state: HostState.Suspect }),
        host("mnt", { state: HostState.Maintenance }),
        host("gone", { up: false }),
      ],
      vms: skewed.vms.filter((v) => v.host === "hot"),
    };
    const r = planRebalance(fleet, opts({ aggressiveness: 5 }));
    expect(r.moves).toEqual([]);
    expect(r.reason).toMatch(/nothing to balance: 1 healthy host/);
  });

  it("keeps anti-affinity: two VMs of a group never share a host", () => {
    const fleet: FleetView = {
      hosts: [host("hot"), host("cold")],
      vms: [
        vm("db1", "hot", 8, { antiAffinityGroup: "db" }),
        vm("x", "hot", 8),
        vm("db2", "cold", 1, { antiAffinityGroup: "db" }),
      ],
    };
    const r = planRebalance(fleet, opts({ aggressiveness: 5 }));
    expect(r.moves.map((m) => m.vm)).toEqual(["x"]);
  });

  it("leaves recently moved, in-flight, non-converging and away-from-home VMs alone, and says why", () => {
    const fleet: FleetView = {
      hosts: [host("hot"), host("cold"), host("home", { state: HostState.Quarantined })],
      vms: [
        vm("recent", "hot", 8),
        vm("flying", "hot", 8),
        vm("dirty", "hot", 8, { dirtyRateMiBps: 950 }),
        vm("away", "hot", 8, { home: "home" }),
      ],
    };
    const now = 10 * HOUR;
    const r = planRebalance(
      fleet,
      opts({ aggressiveness: 5, now, lastMoved: new Map([["recent", now - 5 * 60_000]]), busy: new Set(["flying"]) }),
    );
    expect(r.moves).toEqual([]);
    const why = Object.fromEntries(r.skipped.map((s) => [s.vm, s.reason]));
    expect(why.recent).toMatch(/moved 300 s ago, cool-down is 3600 s/);
    expect(why.flying).toMatch(/in flight/);
    expect(why.dirty).toMatch(/too fast to converge/);
    expect(why.away).toMatch(/away from home host home \(quarantined\)/);
  });

  it("prefers the cheaper of two equally useful moves", () => {
    const fleet: FleetView = {
      hosts: [host("hot", { memoryMiB: 1_048_576 }), host("cold", { memoryMiB: 1_048_576 })],
      vms: [vm("big", "hot", 8, { memoryMiB: 262_144 }), vm("small", "hot", 8, { memoryMiB: 2048 })],
    };
    const r = planRebalance(fleet, opts({ aggressiveness: 5, maxMoves: 1, memoryWeight: 0 }));
    expect(r.moves.map((m) => m.vm)).toEqual(["small"]);
  });

  it("aggressiveness 1 ignores a small imbalance that 5 corrects", () => {
    const fleet: FleetView = {
      hosts: [host("a"), host("b")],
      // CPU loads 0.25 / 0.125: moving v2 gains about 0.016 imbalance-hours against a price of 0.022
      vms: [vm("v1", "a", 6), vm("v2", "a", 2), vm("v3", "b", 4)],
    };
    expect(planRebalance(fleet, opts({ aggressiveness: 1 })).moves).toEqual([]);
    expect(planRebalance(fleet, opts({ aggressiveness: 1 })).reason).toMatch(/balanced enough/);
    expect(planRebalance(fleet, opts({ aggressiveness: 5 })).moves.length).toBe(1);
  });

  it("a fleet within the tolerance of its aggressiveness gets no moves, and says so", () => {
    // CPU loads 0.31 / 0.19 / 0.25: imbalance about 0.055, within aggressiveness 3's tolerance, not 5's
    const fleet: FleetView = {
      hosts: [host("a"), host("b"), host("c")],
      vms: [vm("v1", "a", 6), vm("v2", "a", 2), vm("v5", "a", 2), vm("v3", "b", 6), vm("v4", "c", 8)],
    };
    const calm = planRebalance(fleet, opts({ aggressiveness: 3 }));
    expect(calm.imbalanceBefore).toBeGreaterThan(0.03);
    expect(calm.imbalanceBefore).toBeLessThanOrEqual(TOLERANCE[3]);
    expect(calm.moves).toEqual([]);
    expect(calm.reason).toContain(`within tolerance ${TOLERANCE[3]} (aggressiveness 3)`);
    const eager = planRebalance(fleet, opts({ aggressiveness: 5 }));
    expect(eager.moves).toContainEqual(expect.objectContaining({ from: "a", to: "b" }));
    expect(eager.imbalanceAfter).toBeLessThan(calm.imbalanceBefore);
  });

  it("counts measured CPU no VM accounts for as load that stays on the host", () => {
    // equal VM demand, but host a's agent measures 75 % busy: a's extra load is overhead, so a VM leaves a
    const fleet: FleetView = {
      hosts: [host("a", { cpuUtilPct: 75 }), host("b", { cpuUtilPct: 25 })],
      vms: [vm("v1", "a", 4), vm("v2", "a", 4), vm("v3", "b", 4), vm("v4", "b", 4)],
    };
    const r = planRebalance(fleet, opts({ aggressiveness: 5, maxMoves: 1 }));
    expect(r.moves).toEqual([expect.objectContaining({ from: "a", to: "b" })]);
  });
});
