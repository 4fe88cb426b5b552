/** Random fleets for property tests of the balancer and the maintenance planner. */
import { HostState, type VmRecord } from "@presage/shared";
import fc from "fast-check";
import type { FleetView, HostView } from "../../src/model.js";

const stateArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(HostState.Healthy) },
  { weight: 1, arbitrary: fc.constantFrom(...Object.values(HostState)) },
);

const hostArb = fc.record({
  state: stateArb,
  up: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  cpuCapacity: fc.integer({ min: 8, max: 64 }),
  memoryMiB: fc.integer({ min: 16, max: 256 }).map((g) => g * 1024),
  cpuUtilPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
  rack: fc.constantFrom("r1", "r2", "r3"),
});

const vmArb = fc.record({
  host: fc.nat(),
  home: fc.option(fc.nat(), { nil: null }),
  memoryMiB: fc.integer({ min: 1, max: 32 }).map((g) => g * 1024),
  vcpus: fc.integer({ min: 1, max: 16 }),
  demand: fc.double({ min: 0, max: 1, noNaN: true }),
  dirtyRateMiBps: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 300 }) },
    fc.integer({ min: 0, max: 2000 }),
  ),
  group: fc.option(fc.constantFrom("db", "web", "cache"), { nil: null }),
});

export const fleetArb: fc.Arbitrary<FleetView> = fc
  .record({ hosts: fc.array(hostArb, { minLength: 2, maxLength: 12 }), vms: fc.array(vmArb, { maxLength: 60 }) })
  .map(({ hosts, vms }) => {
    const hv: HostView[] = hosts.map((h, i) => ({ name: `h${i}`, ...h }));
    const name = (i: number) => (hv[i % hv.length] as HostView).name;
    const vr: VmRecord[] = vms.map((v, i) => ({
      id: `vm${i}`,
      host: name(v.host),
      home: v.home === null ? name(v.host) : name(v.home),
      memoryMiB: v.memoryMiB,
      vcpus: v.vcpus,
      cpuDemand: v.demand * v.vcpus,
      dirtyRateMiBps: v.dirtyRateMiBps,
      antiAffinityGroup: v.group,
    }));
    return { hosts: hv, vms: vr };
  });

/** A VM of 8 vCPUs at home on `on`, for the example tests. */
export const vmAt = (id: string, on: string, cpuDemand: number, memoryMiB: number): VmRecord => ({
  id,
  host: on,
  home: on,
  memoryMiB,
  vcpus: 8,
  cpuDemand,
});
