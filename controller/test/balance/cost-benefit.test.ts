/** The balancer's cost-benefit rule: every move's expected gain (imbalance-hours) exceeds its price. */
import { HostState, type VmRecord } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMoves } from "../../src/balance/apply.js";
import { costBenefit, DEFAULT_MOVE_PRICE, type MovePrice, migrationCost } from "../../src/balance/cost.js";
import { measureImbalance } from "../../src/balance/imbalance.js";
import { type Aggressiveness, PRICE_SCALE, planRebalance, type RebalanceOptions } from "../../src/balance/planner.js";
import type { FleetView, HostView } from "../../src/model.js";
import { fleetArb, vmAt } from "./fleet-arb.js";

const opts = (o: Partial<RebalanceOptions> = {}): RebalanceOptions => ({
  aggressiveness: 3,
  maxMoves: 20,
  headroom: { cpu: 0.1, memory: 0.1 },
  now: 0,
  cooldownMs: 0,
  lastMoved: new Map(),
  tolerance: 0,
  ...o,
});
const host = (name: string): HostView => ({
  name,
  state: HostState.Healthy,
  cpuCapacity: 32,
  memoryMiB: 1_048_576,
  up: true,
});
const vm = (id: string, on: string, cpuDemand: number, memoryMiB = 4096) => vmAt(id, on, cpuDemand, memoryMiB);
/** n · score²: the measure a move's gain is counted in */
const ss = (f: FleetView, memoryWeight?: number) => {
  const m = measureImbalance(f, memoryWeight);
  return m.hosts * m.score ** 2;
};

describe("balance cost-benefit", () => {
  it("cost-benefit - gain is the drop in squared deviations times the horizon, cost the price per move plus per GiB", () => {
    const price: MovePrice = { perMove: 0.01, perGiB: 0.001, gainHours: 3 };
    const cb = costBenefit(0.02, 10 * 1024, price);
    expect(cb.gain).toBeCloseTo(0.06, 12);
    expect(cb.cost).toBeCloseTo(0.01 + 0.01, 12);
  });

  it("cost-benefit - every move's expected gain exceeds its scaled price, on random fleets and prices", () => {
    const priceArb = fc.record({
      perMove: fc.double({ min: 0, max: 0.05, noNaN: true }),
      perGiB: fc.double({ min: 0, max: 0.002, noNaN: true }),
      gainHours: fc.double({ min: 0.25, max: 8, noNaN: true }),
    });
    fc.assert(
      fc.property(fleetArb, priceArb, fc.constantFrom<Aggressiveness>(1, 2, 3, 4, 5), (fleet, price, a) => {
        const r = planRebalance(fleet, opts({ aggressiveness: a, price }));
        let cur = fleet;
        for (const m of r.moves) {
          const v = cur.vms.find((x) => x.id === m.vm) as VmRecord;
          const next = applyMoves(cur, [m]);
          const cb = costBenefit(ss(cur) - ss(next), migrationCost(v)?.copyMiB ?? Number.NaN, price);
          expect(cb.gain).toBeGreaterThan(PRICE_SCALE[a] * cb.cost * (1 - 1e-9));
          cur = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("cost-benefit - a move worth less than its price is not made, and says why", () => {
    // loads 10/32 and 6/32: moving 2 vCPUs evens them; the drop in squared deviations is 2 · (2/32)² ≈ 0.0078
    const fleet: FleetView = {
      hosts: [host("a"), host("b")],
      vms: [vm("v1", "a", 8), vm("v2", "a", 2), vm("v3", "b", 6)],
    };
    const free = { perMove: 0, perGiB: 0, gainHours: 1 };
    expect(planRebalance(fleet, opts({ price: free, memoryWeight: 0 })).moves).toHaveLength(1);
    const dear = { perMove: 0.01, perGiB: 0, gainHours: 1 };
    const r = planRebalance(fleet, opts({ price: dear, memoryWeight: 0 }));
    expect(r.moves).toEqual([]);
    expect(r.reason).toMatch(/best move would gain 0\.78 times its cost, less than the 1 aggressiveness 3 asks/);
    // the same move over a longer horizon pays for itself
    expect(planRebalance(fleet, opts({ price: { ...dear, gainHours: 2 }, memoryWeight: 0 })).moves).toHaveLength(1);
  });

  it("cost-benefit - the price per GiB makes a big-memory VM wait where a small one of the same load moves", () => {
    const fleet = (mem: number): FleetView => ({
      hosts: [host("a"), host("b")],
      vms: [vm("big", "a", 8, mem), vm("v2", "a", 8, 2048)],
    });
    const price = { perMove: 0, perGiB: 0.0001, gainHours: 2 };
    // moving either VM evens the hosts; only the 2 GiB one is cheap enough
    const small = planRebalance(fleet(256 * 1024), opts({ price, memoryWeight: 0, maxMoves: 1 }));
    expect(small.moves.map((m) => m.vm)).toEqual(["v2"]);
    // two 256 GiB VMs: a move costs 0.0256 against a gain of 0.125 · 2 = 0.25, so one moves; at 0.01 per GiB none
    const big: FleetView = {
      hosts: [host("a"), host("b")],
      vms: [vm("big1", "a", 8, 256 * 1024), vm("big2", "a", 8, 256 * 1024)],
    };
    expect(planRebalance(big, opts({ price, memoryWeight: 0 })).moves).toHaveLength(1);
    expect(planRebalance(big, opts({ price: { ...price, perGiB: 0.01 }, memoryWeight: 0 })).moves).toEqual([]);
  });

  it("cost-benefit - a move slot goes to the most net benefit (gain minus cost), not the best gain per cost", () => {
    // host a at 16 of 32 vCPUs (7 of them no VM's), b idle. Moving the 8-vCPU VM evens them: a drop in
    // squared deviations of 0.125 for 0.01 + 64 GiB · 0.001 = 0.074 (net 0.051, 1.7 times its cost). The
    // 1-vCPU VM drops them by 0.029 for 0.011 (net 0.018, 2.7 times its cost): cheaper per gain, worth less.
    const fleet: FleetView = {
      hosts: [{ ...host("a"), cpuUtilPct: 50 }, host("b")],
      vms: [vm("big", "a", 8, 64 * 1024), vm("tiny", "a", 1, 1024)],
    };
    const price = { perMove: 0.01, perGiB: 0.001, gainHours: 1 };
    const r = planRebalance(fleet, opts({ price, memoryWeight: 0, maxMoves: 1 }));
    expect(r.moves.map((m) => m.vm)).toEqual(["big"]);
    // at aggressiveness 2 (twice the price) the big move no longer pays and the plan stops there
    const strict = planRebalance(fleet, opts({ aggressiveness: 2, price, memoryWeight: 0, maxMoves: 1 }));
    expect(strict.moves).toEqual([]);
    expect(strict.reason).toMatch(/best move would gain 1\.7 times its cost, less than the 2 aggressiveness 2 asks/);
  });

  it("cost-benefit - the default price is the controller's default config", async () => {
    const { defaultControllerConfig } = await import("../../src/config.js");
    const r = defaultControllerConfig().rebalance;
    expect({ perMove: r.pricePerMove, perGiB: r.pricePerGiB, gainHours: r.gainHorizonMs / 3_600_000 }).toEqual(
      DEFAULT_MOVE_PRICE,
    );
  });
});
