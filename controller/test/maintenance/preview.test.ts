import { HostState, type VmRecord } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateDrain } from "../../src/maintenance/estimate.js";
import { orderMaintenance } from "../../src/maintenance/order.js";
import { previewMaintenance } from "../../src/maintenance/preview.js";
import type { FleetView, HostView } from "../../src/model.js";
import { fleetArb } from "../balance/fleet-arb.js";

const T0 = Date.parse("2026-11-25T20:00:00Z");
const host = (name: string, o: Partial<HostView> = {}): HostView => ({
  name,
  state: HostState.Healthy,
  cpuCapacity: 32,
  memoryMiB: 65_536,
  up: true,
  ...o,
});
const vm = (id: string, on: string, memoryMiB: number, o: Partial<VmRecord> = {}): VmRecord => ({
  id,
  host: on,
  home: on,
  memoryMiB,
  vcpus: 2,
  cpuDemand: 1,
  ...o,
});
const statesOf = (f: FleetView) => new Map(f.hosts.map((h) => [h.name, h.state]));
const limits = { perSource: 2, perTarget: 2, fleet: 8 };
const brake = { maxHosts: 3, maxPercent: 100 };

/** A rack r1 of four hosts with 1..4 VMs, and four empty hosts in rack r2. */
const rackFleet: FleetView = {
  hosts: [
    ...["a", "b", "c", "d"].map((n) => host(`r1-${n}`, { rack: "r1" })),
    ...["a", "b", "c", "d"].map((n) => host(`r2-${n}`, { rack: "r2" })),
  ],
  vms: ["a", "b", "c", "d"].flatMap((n, i) =>
    Array.from({ length: i + 1 }, (_, k) => vm(`vm-${n}${k}`, `r1-${n}`, 4096)),
  ),
};
const rack = ["r1-d", "r1-c", "r1-b", "r1-a"];

describe("maintenance - rack order under the brake", () => {
  it("lets in what the brake allows, smallest hosts first, and queues the rest in order", () => {
    const states = statesOf(rackFleet).set("r2-d", HostState.Quarantined);
    const o = orderMaintenance({ hosts: rack, fleet: rackFleet, states, brake });
    expect(o.order).toEqual(["r1-a", "r1-b", "r1-c", "r1-d"]);
    expect(o.admitNow).toEqual(["r1-a", "r1-b"]); // limit 3, one host already quarantined
    expect(o.waiting).toEqual(["r1-c", "r1-d"]);
    expect(o.memoryToMoveMiB["r1-d"]).toBe(4 * 4096);
  });
});

describe("maintenance - preview (dry run)", () => {
  it("places the whole rack off the rack and says so in plain lines", () => {
    const p = previewMaintenance(
      { hosts: rack },
      { fleet: rackFleet, states: statesOf(rackFleet), brake, limits, headroom: { cpu: 0.1, memory: 0.1 }, now: T0 },
    );
    expect(p.moves).toHaveLength(10);
    expect(p.unplaced).toEqual([]);
    expect(p.moves.every((m) => m.to.startsWith("r2-"))).toBe(true);
    // start order follows the host order
    expect(p.moves.map((m) => m.from)).toEqual([...p.moves.map((m) => m.from)].sort());
    expect(p.lines[0]).toMatch(/^4 host\(s\) to maintenance, 10 VM\(s\) to move .* 0 cannot be placed; starting now$/);
    expect(p.lines[1]).toMatch(
      /safety brake: 0 of at most 3 hosts in remediation; 3 enter now \(r1-a, r1-b, r1-c\), 1 wait in this order: r1-d/,
    );
    expect(p.lines.find((l) => l.startsWith("r1-d:"))).toMatch(/4 VM\(s\), 16.0 GiB -> .*; waits for the brake/);
    expect(p.deadlineMet).toBeNull();
  });

  it("reports VMs with nowhere to go and a deadline it cannot meet", () => {
    const fleet: FleetView = { hosts: [host("a"), host("b", { memoryMiB: 8192 })], vms: [vm("big", "a", 16_384)] };
    const p = previewMaintenance(
      { hosts: ["a"], deadline: T0 + 3_600_000 },
      { fleet, states: statesOf(fleet), brake, limits, headroom: { cpu: 0, memory: 0 }, now: T0 },
    );
    expect(p.unplaced).toEqual([{ vm: "big", reason: expect.stringMatching(/no healthy host has room for big/) }]);
    expect(p.deadlineMet).toBe(false);
    expect(p.lines).toContain("cannot place big: " + p.unplaced[0]?.reason);
    expect(p.lines.at(-1)).toMatch(/deadline 2026-11-25T21:00:00Z at risk: 1 VM\(s\) have nowhere to go/);
  });

  it("checks the deadline against the expected drain time, from the scheduled start", () => {
    const fleet: FleetView = {
      hosts: [host("a"), host("b"), host("c")],
      vms: [vm("v1", "a", 30_000), vm("v2", "a", 30_000)],
    };
    const ctx = {
      fleet,
      states: statesOf(fleet),
      brake,
      limits: { perSource: 1, perTarget: 2, fleet: 8 },
      headroom: { cpu: 0, memory: 0 },
      now: T0,
      bandwidthMiBps: 1000,
    };
    const at = T0 + 600_000;
    const late = previewMaintenance({ hosts: ["a"], at, deadline: at + 50_000 }, ctx); // needs 60 s, one at a time
    expect(late.startAt).toBe(at);
    expect(late.expectedEmptyAt).toBe(at + 60_000);
    expect(late.deadlineMet).toBe(false);
    expect(late.lines[0]).toMatch(/starting at 2026-11-25T20:10:00Z/);
    expect(late.lines.at(-1)).toMatch(/at risk: expected empty only at 2026-11-25T20:11:00Z/);
    const ok = previewMaintenance({ hosts: ["a"], at, deadline: at + 61_000 }, ctx);
    expect(ok.deadlineMet).toBe(true);
  });
});

describe("maintenance - drain estimate", () => {
  const fleet: FleetView = {
    hosts: [host("a"), host("b")],
    vms: [vm("v1", "a", 1000), vm("v2", "a", 1000), vm("v3", "a", 1000), vm("v4", "b", 1000, { dirtyRateMiBps: 500 })],
  };
  const moves = fleet.vms.map((v) => ({ vm: v.id, from: v.host, to: "c", memoryMiB: v.memoryMiB }));

  it("runs migrations under the per-source limit and counts dirty memory re-sent", () => {
    const e = estimateDrain(moves, fleet, { limits: { perSource: 2, perTarget: 10, fleet: 10 }, bandwidthMiBps: 1000 });
    expect(e.hostEmptyAfterS.a).toBeCloseTo(2, 9); // two at once, then the third
    expect(e.hostEmptyAfterS.b).toBeCloseTo(2, 9); // 1000 MiB at half the bandwidth dirtied: 2000 MiB
    expect(e.copyMiB).toBeCloseTo(5000, 6);
    expect(e.seconds).toBeCloseTo(2, 9);
    const serial = estimateDrain(moves, fleet, {
      limits: { perSource: 2, perTarget: 10, fleet: 1 },
      bandwidthMiBps: 1000,
    });
    expect(serial.seconds).toBeCloseTo(5, 9);
  });

  it("flags a VM that will not converge", () => {
    const hot = { ...fleet, vms: [vm("hot", "a", 1000, { dirtyRateMiBps: 2000 })] };
    const e = estimateDrain([{ vm: "hot", from: "a", to: "b", memoryMiB: 1000 }], hot, {
      limits,
      bandwidthMiBps: 1000,
    });
    expect(e.atRisk).toEqual(["hot"]);
  });

  it("on random fleets takes between the fully parallel and the fully serial time", () => {
    fc.assert(
      fc.property(
        fleetArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        (f, perSource, fleetLimit) => {
          const mv = f.vms.map((v) => ({ vm: v.id, from: v.host, to: "elsewhere", memoryMiB: v.memoryMiB }));
          const e = estimateDrain(mv, f, {
            limits: { perSource, perTarget: 1000, fleet: fleetLimit },
            bandwidthMiBps: 1000,
          });
          const serialS = e.copyMiB / 1000;
          expect(e.seconds).toBeLessThanOrEqual(serialS + 1e-6);
          expect(e.seconds).toBeGreaterThanOrEqual(serialS / Math.min(fleetLimit, Math.max(1, mv.length)) - 1e-6);
        },
      ),
    );
  });
});

describe("maintenance - preview properties", () => {
  it("never places a VM on a host of the same request or on a host that is not healthy", () => {
    fc.assert(
      fc.property(fleetArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (fleet, picks) => {
        const hosts = [...new Set(picks.map((i) => (fleet.hosts[i % fleet.hosts.length] as HostView).name))];
        const p = previewMaintenance(
          { hosts },
          { fleet, states: statesOf(fleet), brake, limits, headroom: { cpu: 0.1, memory: 0.1 }, now: T0 },
        );
        const byName = new Map(fleet.hosts.map((h) => [h.name, h]));
        for (const m of p.moves) {
          expect(hosts).not.toContain(m.to);
          expect(byName.get(m.to)?.state).toBe(HostState.Healthy);
          expect(hosts).toContain(m.from);
        }
        const onHosts = fleet.vms.filter((v) => hosts.includes(v.host)).length;
        expect(p.moves.length + p.unplaced.length).toBe(onHosts);
        expect(p.order.admitNow.length + p.order.waiting.length).toBe(hosts.length);
      }),
    );
  });
});
