import { HostState, type VmRecord } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FleetView, HostView } from "../../src/model.js";
import { usageByHost, vmCpu } from "../../src/placement/capacity.js";
import { planEvacuation, planReturn, startable } from "../../src/placement/planner.js";

const headroom = { cpu: 0.1, memory: 0.1 };
const states = [
  HostState.Healthy,
  HostState.Healthy,
  HostState.Healthy,
  HostState.Suspect,
  HostState.Degraded,
  HostState.Failed,
];

/** Random fleets: hosts of mixed state and size, VMs with groups and priorities. */
const fleetArb = fc
  .record({
    hosts: fc.array(
      fc.record({
        state: fc.constantFrom(...states),
        cpu: fc.integer({ min: 8, max: 64 }),
        mem: fc.integer({ min: 16, max: 256 }),
        up: fc.constantFrom(true, true, true, false),
      }),
      { minLength: 2, maxLength: 12 },
    ),
    vms: fc.array(
      fc.record({
        host: fc.nat(),
        mem: fc.integer({ min: 1, max: 32 }),
        vcpus: fc.integer({ min: 1, max: 8 }),
        group: fc.option(fc.constantFrom("g1", "g2", "g3"), { nil: null }),
        priority: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 60 },
    ),
    sick: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  })
  .map(({ hosts, vms, sick }) => {
    const hv: HostView[] = hosts.map((h, i) => ({
      name: `h${i}`,
      state: h.state,
      cpuCapacity: h.cpu,
      memoryMiB: h.mem * 1024,
      up: h.up,
    }));
    const sources = [...new Set(sick.map((s) => `h${s % hv.length}`))];
    for (const s of sources) (hv.find((h) => h.name === s) as HostView).state = HostState.Evacuating;
    const list: VmRecord[] = vms.map((v, i) => {
      const host = `h${v.host % hv.length}`;
      return {
        id: `vm${i}`,
        host,
        home: host,
        memoryMiB: v.mem * 1024,
        vcpus: v.vcpus,
        antiAffinityGroup: v.group,
        priority: v.priority,
      };
    });
    return { fleet: { hosts: hv, vms: list } as FleetView, sources };
  });

function applyMoves(fleet: FleetView, moves: { vm: string; to: string }[]): FleetView {
  const to = new Map(moves.map((m) => [m.vm, m.to]));
  return { hosts: fleet.hosts, vms: fleet.vms.map((v) => ({ ...v, host: to.get(v.id) ?? v.host })) };
}

describe("planner", () => {
  it("planner - property: no capacity or anti-affinity violation, never a sick target, every VM placed or explained", () => {
    fc.assert(
      fc.property(fleetArb, ({ fleet, sources }) => {
        const plan = planEvacuation({ fleet, sources: sources.map((host) => ({ host })), headroom });
        const onSources = fleet.vms.filter((v) => sources.includes(v.host));
        // every VM of a source is either moved or listed as unplaced, exactly once
        const accounted = [...plan.moves.map((m) => m.vm), ...plan.unplaced.map((u) => u.vm)].sort();
        expect(accounted).toEqual(onSources.map((v) => v.id).sort());
        const byName = new Map(fleet.hosts.map((h) => [h.name, h]));
        for (const m of plan.moves) {
          const t = byName.get(m.to) as HostView;
          expect(t.state).toBe(HostState.Healthy);
          expect(t.up).not.toBe(false);
          expect(sources).not.toContain(m.to);
        }
        // the targets' new load stays within capacity minus headroom, and groups stay apart
        const after = applyMoves(fleet, plan.moves);
        const usage = usageByHost(after);
        const before = usageByHost(fleet);
        for (const name of new Set(plan.moves.map((m) => m.to))) {
          const h = byName.get(name) as HostView;
          const u = usage.get(name);
          if (!u) continue;
          const b = before.get(name);
          // only what the plan added must fit (a host may already be over before the plan)
          if ((b?.cpu ?? 0) <= h.cpuCapacity * 0.9) expect(u.cpu).toBeLessThanOrEqual(h.cpuCapacity * 0.9 + 1e-6);
          if ((b?.memoryMiB ?? 0) <= h.memoryMiB * 0.9) expect(u.memoryMiB).toBeLessThanOrEqual(h.memoryMiB * 0.9);
          // a VM never joins a host that runs (or is being given) another VM of its group
          const groupsIn = plan.moves
            .filter((x) => x.to === name)
            .map((m) => (fleet.vms.find((v) => v.id === m.vm) as VmRecord).antiAffinityGroup)
            .filter((g): g is string => !!g);
          expect(new Set(groupsIn).size).toBe(groupsIn.length);
          for (const g of groupsIn) expect(b?.groups.get(g) ?? 0).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("planner - property: when capacity is short, no unplaced VM outranks a placed one that needs no more room", () => {
    fc.assert(
      fc.property(fleetArb, ({ fleet, sources }) => {
        const plan = planEvacuation({ fleet, sources: sources.map((host) => ({ host })), headroom });
        const vm = new Map(fleet.vms.map((v) => [v.id, v]));
        for (const u of plan.unplaced) {
          const lost = vm.get(u.vm) as VmRecord;
          for (const m of plan.moves) {
            const won = vm.get(m.vm) as VmRecord;
            // a lower-priority VM only got a place the higher one could not use (it was bigger or constrained)
            if ((won.priority ?? 0) < (lost.priority ?? 0) && !lost.antiAffinityGroup)
              expect(lost.memoryMiB > won.memoryMiB || vmCpu(lost) > vmCpu(won)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("planner - spreads an evacuation instead of filling one host", () => {
    const hosts: HostView[] = ["s", "a", "b", "c", "d"].map((n) => ({
      name: n,
      state: n === "s" ? HostState.Evacuating : HostState.Healthy,
      cpuCapacity: 64,
      memoryMiB: 256 * 1024,
    }));
    const vms: VmRecord[] = Array.from({ length: 8 }, (_, i) => ({
      id: `v${i}`,
      host: "s",
      home: "s",
      memoryMiB: 8192,
      vcpus: 2,
    }));
    const plan = planEvacuation({ fleet: { hosts, vms }, sources: [{ host: "s" }], headroom });
    const per = new Map<string, number>();
    for (const m of plan.moves) per.set(m.to, (per.get(m.to) ?? 0) + 1);
    expect([...per.values()].sort()).toEqual([2, 2, 2, 2]);
  });

  it("planner - the host predicted to fail sooner starts first, important VMs first", () => {
    const hosts: HostView[] = ["late", "soon", "t1", "t2"].map((n) => ({
      name: n,
      state: n.startsWith("t") ? HostState.Healthy : HostState.Evacuating,
      cpuCapacity: 64,
      memoryMiB: 512 * 1024,
    }));
    const vms: VmRecord[] = [
      { id: "late-hi", host: "late", home: "late", memoryMiB: 1024, vcpus: 1, priority: 9 },
      { id: "soon-lo", host: "soon", home: "soon", memoryMiB: 1024, vcpus: 1, priority: 0 },
      { id: "soon-hi", host: "soon", home: "soon", memoryMiB: 1024, vcpus: 1, priority: 5 },
    ];
    const plan = planEvacuation({
      fleet: { hosts, vms },
      sources: [
        { host: "late", predictedFailureAt: 9_000 },
        { host: "soon", predictedFailureAt: 1_000 },
      ],
      headroom,
    });
    expect(plan.moves.map((m) => m.vm)).toEqual(["soon-hi", "soon-lo", "late-hi"]);
  });

  it("planner - not enough capacity: the most important VMs move, the rest stay with a reason", () => {
    const hosts: HostView[] = [
      { name: "s", state: HostState.Evacuating, cpuCapacity: 64, memoryMiB: 64 * 1024 },
      { name: "t", state: HostState.Healthy, cpuCapacity: 64, memoryMiB: 20 * 1024 },
    ];
    const vms: VmRecord[] = [
      { id: "db", host: "s", home: "s", memoryMiB: 16 * 1024, vcpus: 4, priority: 10 },
      { id: "batch", host: "s", home: "s", memoryMiB: 16 * 1024, vcpus: 4, priority: 1 },
    ];
    const plan = planEvacuation({ fleet: { hosts, vms }, sources: [{ host: "s" }], headroom });
    expect(plan.moves.map((m) => m.vm)).toEqual(["db"]);
    expect(plan.unplaced).toEqual([
      { vm: "batch", reason: expect.stringContaining("no healthy host has room for batch") },
    ]);
  });

  it("planner - in-flight migrations reserve their target's room", () => {
    const hosts: HostView[] = [
      { name: "s", state: HostState.Evacuating, cpuCapacity: 64, memoryMiB: 64 * 1024 },
      { name: "t", state: HostState.Healthy, cpuCapacity: 64, memoryMiB: 20 * 1024 },
    ];
    const vms: VmRecord[] = [
      { id: "a", host: "s", home: "s", memoryMiB: 12 * 1024, vcpus: 1 },
      { id: "b", host: "s", home: "s", memoryMiB: 12 * 1024, vcpus: 1 },
    ];
    const plan = planEvacuation({
      fleet: { hosts, vms },
      sources: [{ host: "s" }],
      headroom,
      inFlight: [{ vm: "a", from: "s", to: "t" }],
    });
    expect(plan.moves).toEqual([]);
    expect(plan.unplaced.map((u) => u.vm)).toEqual(["b"]);
  });

  it("planner - startable respects per-source, per-target and fleet limits", () => {
    const moves = Array.from({ length: 10 }, (_, i) => ({
      vm: `v${i}`,
      from: i < 6 ? "s1" : "s2",
      to: `t${i % 3}`,
      memoryMiB: 1,
    }));
    const got = startable(moves, [{ vm: "x", from: "s1", to: "t0" }], { perSource: 2, perTarget: 2, fleet: 4 });
    expect(got).toHaveLength(3);
    const count = (k: "from" | "to", v: string) =>
      got.filter((m) => m[k] === v).length + (v === "s1" || v === "t0" ? 1 : 0);
    expect(count("from", "s1")).toBeLessThanOrEqual(2);
    expect(count("to", "t0")).toBeLessThanOrEqual(2);
  });

  it("planner - return brings home VMs back within the host's capacity, most important first", () => {
    const hosts: HostView[] = [
      { name: "home", state: HostState.Returning, cpuCapacity: 64, memoryMiB: 20 * 1024 },
      { name: "t", state: HostState.Healthy, cpuCapacity: 64, memoryMiB: 512 * 1024 },
    ];
    const vms: VmRecord[] = [
      { id: "lo", host: "t", home: "home", memoryMiB: 10 * 1024, vcpus: 1, priority: 0 },
      { id: "hi", host: "t", home: "home", memoryMiB: 10 * 1024, vcpus: 1, priority: 5 },
      { id: "other", host: "t", home: "t", memoryMiB: 1024, vcpus: 1 },
    ];
    const plan = planReturn({ fleet: { hosts, vms }, host: "home", headroom });
    expect(plan.moves.map((m) => m.vm)).toEqual(["hi"]);
    expect(plan.unplaced.map((u) => u.vm)).toEqual(["lo"]);
  });
});
