import { HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { applyMoves } from "../../src/balance/apply.js";
import { migrationCost } from "../../src/balance/cost.js";
import { demandByHost, measureImbalance } from "../../src/balance/imbalance.js";
import type { FleetView, HostView } from "../../src/model.js";
import { vmAt } from "./fleet-arb.js";

const host = (name: string, o: Partial<HostView> = {}): HostView => ({
  name,
  state: HostState.Healthy,
  cpuCapacity: 10,
  memoryMiB: 10_240,
  up: true,
  ...o,
});
const vm = (id: string, on: string, cpuDemand: number, memoryMiB = 1024) => vmAt(id, on, cpuDemand, memoryMiB);

describe("balance imbalance - the measure", () => {
  it("is the standard deviation of normalised load over healthy hosts, memory at half weight", () => {
    // CPU loads 0.5 and 0.1 (std 0.2); memory loads 0.3 and 0.1 (std 0.1); the suspect host is not counted
    const fleet: FleetView = {
      hosts: [host("a"), host("b"), host("c", { state: HostState.Suspect })],
      vms: [vm("v1", "a", 5, 3072), vm("v2", "b", 1, 1024), vm("v3", "c", 9, 9000)],
    };
    const m = measureImbalance(fleet);
    expect(m.hosts).toBe(2);
    expect(m.cpu).toBeCloseTo(0.2, 12);
    expect(m.memory).toBeCloseTo(0.1, 12);
    expect(m.score).toBeCloseTo(Math.sqrt(0.04 + 0.5 * 0.01), 12);
    expect(measureImbalance(fleet, 0).score).toBeCloseTo(0.2, 12);
  });

  it("adds the CPU the agent measures beyond its VMs, and ignores a measurement below them", () => {
    const fleet: FleetView = {
      hosts: [host("a", { cpuUtilPct: 70 }), host("b", { cpuUtilPct: 5 })],
      vms: [vm("v1", "a", 2), vm("v2", "b", 3)],
    };
    const d = demandByHost(fleet);
    expect(d.get("a")?.cpu).toBeCloseTo(7, 12); // 2 from the VM + 5 unattributed
    expect(d.get("b")?.cpu).toBeCloseTo(3, 12); // measured 0.5 < VM demand 3: the VM figure wins
  });
});

describe("balance apply - the fleet after a plan", () => {
  it("moves the VM, shifts measured utilisation with it and rehomes a VM that was at home", () => {
    const fleet: FleetView = {
      hosts: [host("a", { cpuUtilPct: 60 }), host("b", { cpuUtilPct: 10 })],
      vms: [vm("v1", "a", 3), { ...vm("away", "a", 1), home: "c" }],
    };
    const after = applyMoves(fleet, [
      { vm: "v1", from: "a", to: "b", memoryMiB: 1024 },
      { vm: "away", from: "a", to: "b", memoryMiB: 1024 },
      { vm: "v1", from: "a", to: "b", memoryMiB: 1024 }, // stale: v1 is no longer on a
    ]);
    expect(after.vms).toEqual([
      expect.objectContaining({ id: "v1", host: "b", home: "b" }),
      expect.objectContaining({ id: "away", host: "b", home: "c" }),
    ]);
    expect(after.hosts.map((h) => h.cpuUtilPct)).toEqual([20, 50]);
    expect(fleet.vms[0]?.host).toBe("a"); // the input is untouched
  });
});

describe("balance cost - what a migration copies", () => {
  it("grows with the dirty rate and refuses one that cannot converge", () => {
    const v = { ...vm("v", "a", 1, 8192), dirtyRateMiBps: 500 };
    expect(migrationCost(v, 1000)).toEqual({ copyMiB: 16_384, seconds: 16.384 });
    expect(migrationCost({ ...v, dirtyRateMiBps: 0 }, 1000)?.copyMiB).toBe(8192);
    expect(migrationCost({ ...v, dirtyRateMiBps: 800 }, 1000)).toBeNull();
  });
});
