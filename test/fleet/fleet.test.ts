/**
 * The fleet soak of `pnpm bench:fleet` at a CI size: 40 hosts (five rack agents in one process), 800 VMs, a
 * controller pair and the three-node NATS cluster, eight simulated hours with the same seeded script (fan wear,
 * a rack's cooling failure, maintenance, rebalancing, kill -9 of the leader, a NATS node down and back, dropped
 * agents, hanging BMC polls, garbage on every subject). It runs the built dist/ (`pnpm build` first) and asserts
 * the end state only, never a speed.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module shared with the bench (test/bench/fleet.mjs), no type declarations
import { runFleetSoak } from "./run.mjs";

const BUILT = ["../../controller/dist/bin/presage-controller.js", "../../agent/dist/run.js"].map(
  (p) => new URL(p, import.meta.url).pathname,
);

describe("fleet soak (CI size)", () => {
  it("ends with no VM lost, duplicated, on a sick host or started twice, and no false evacuation", async () => {
    for (const f of BUILT) if (!existsSync(f)) throw new Error(`${f} is missing: run \`pnpm build\` first`);
    const lines: string[] = [];
    const r = await runFleetSoak({
      hosts: 40,
      hostsPerRack: 8,
      hours: 8,
      speed: 240,
      seed: 7,
      log: (l: string) => lines.push(l),
    });
    const context = `${lines.join("\n")}\n${JSON.stringify(r, null, 1)}`;
    expect(
      {
        vmsLost: r.vmsLost,
        vmsDuplicated: r.vmsDuplicated,
        vmsOnSickHost: r.vmsOnSickHost,
        doubleStarts: r.doubleStarts,
        falseEvacuations: r.falseEvacuations,
        staleSourceMoves: r.staleSourceMoves,
      },
      context,
    ).toEqual({
      vmsLost: 0,
      vmsDuplicated: 0,
      vmsOnSickHost: 0,
      doubleStarts: 0,
      falseEvacuations: 0,
      staleSourceMoves: 0,
    });
    // the zeros mean something: the faults were found and acted on, and every piece of chaos happened
    expect(r.sickEvacuated, context).toBe(r.sickHosts);
    expect(r.migrations.completed, context).toBeGreaterThan(0);
    expect(
      r.chaos.filter((c: { error?: string }) => c.error),
      context,
    ).toEqual([]);
    expect(
      r.chaos.map((c: { action: string }) => c.action),
      context,
    ).toEqual(
      expect.arrayContaining(["kill-leader", "restart-controller", "nats-kill", "nats-start", "maintenance-enter"]),
    );
    // the rack's cooling failure: its hosts reported the danger with its cause, the controller saw one incident
    // for the rack and held them (none evacuated), and the incident cleared with the room
    expect(r.coolingIncident, context).toMatchObject({ recognised: true, hostsEvacuated: 0, cleared: true });
    expect(r.coolingIncident.hostsHeld, context).toBeGreaterThanOrEqual(3);
    expect(r.coolingRackEvacuated, context).toBe(0);
    expect(r.hungPolls, context).toBeGreaterThan(0);
    expect(r.agentRestarts, context).toBeGreaterThan(0);
    expect(r.garbageSent, context).toBeGreaterThan(0);
    expect(r.eventsPerSec, context).toBeGreaterThan(0);
  }, 600_000);
});
