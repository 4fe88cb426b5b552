import { maintenanceEnterView, rebalanceView } from "@presage/cli/internal";
import type { Plan } from "@presage/shared";
import { describe, expect, it } from "vitest";

const v = { style: { color: false }, now: 0 };
const plan = (over: Partial<Plan>): Plan => ({
  id: "p-1",
  kind: "rebalance",
  host: null,
  createdAt: 0,
  status: "proposed",
  reason: "r",
  moves: [{ vm: "a", from: "h0", to: "h1", memoryMiB: 1024 }],
  unplaced: [{ vm: "b", reason: "in its cool-down" }],
  ...over,
});

describe("cli plan rendering", () => {
  it("render - a rebalance calls the VMs it skips left alone, an evacuation calls them unplaced", () => {
    const reb = rebalanceView(v, { plan: plan({}), applied: false });
    expect(reb).toMatch(/1 left alone/);
    expect(reb).toMatch(/left alone b: in its cool-down/);
    expect(reb).not.toMatch(/unplaced|cannot place/);
    const evac = maintenanceEnterView(
      v,
      { hosts: [], plans: [plan({ kind: "maintenance", host: "h0" })], scheduledAt: null },
      true,
    );
    expect(evac).toMatch(/1 unplaced/);
    expect(evac).toMatch(/cannot place b/);
  });

  it("render - maintenance prints the shared preview lines once and names the hosts that wait", () => {
    const details = [
      "2 host(s) to maintenance",
      "deadline 2026-01-01T00:00:00Z at risk: some hosts wait for the brake",
    ];
    const out = maintenanceEnterView(
      v,
      {
        hosts: [],
        plans: [plan({ kind: "maintenance", host: "h0", details }), plan({ kind: "maintenance", host: "h1", details })],
        scheduledAt: null,
        waiting: ["h1"],
      },
      false,
    );
    expect(out.split("deadline 2026-01-01T00:00:00Z at risk").length).toBe(2);
    expect(out).toMatch(/waiting for the safety brake, in this order: h1/);
  });
});
