import { type HostRecord, HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import type { FleetView } from "../../src/model.js";
import { evacuationWorkInFlight } from "../../src/rebalance-pause.js";

const rec = (host: string, state: HostState) => ({ host, state }) as HostRecord;
const fleet = (vmHosts: string[]): FleetView => ({
  hosts: [],
  vms: vmHosts.map((host, i) => ({
    id: `v${i}`,
    host,
    home: host,
    memoryMiB: 1024,
    vcpus: 1,
    cpuDemand: 1,
    dirtyRateMiBps: 0,
    antiAffinityGroup: null,
    priority: 0,
  })),
});

describe("rebalance pause", () => {
  it("pause - an emptied host in maintenance does not pause balancing; one that still has VMs does", () => {
    const recs = [rec("h0", HostState.Healthy), rec("h1", HostState.Maintenance)];
    expect(evacuationWorkInFlight(fleet(["h0", "h0"]), recs, [])).toBe(false);
    expect(evacuationWorkInFlight(fleet(["h0", "h1"]), recs, [])).toBe(true);
  });

  it("pause - a degraded host or a non-rebalance migration pauses; rebalance migrations do not", () => {
    const healthy = [rec("h0", HostState.Healthy), rec("h1", HostState.Healthy)];
    const f = fleet(["h0"]);
    expect(evacuationWorkInFlight(f, [...healthy, rec("h2", HostState.Degraded)], [])).toBe(true);
    const mv = { vm: "v0", from: "h0", to: "h1" };
    expect(evacuationWorkInFlight(f, healthy, [{ ...mv, purpose: "rebalance" }])).toBe(false);
    expect(evacuationWorkInFlight(f, healthy, [{ ...mv, purpose: "maintenance" }])).toBe(true);
  });
});
