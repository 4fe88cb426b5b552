/**
 * Load balancing end to end (issue 9): the built `presage` CLI, the ops service and the real
 * controller over a real nats-server, with a SimEngine fleet where one host carries most of the CPU
 * demand. A dry run shows the imbalance before and after and moves nothing; `rebalance` moves VMs off
 * the busy host, never onto a host that is not healthy; nothing is balanced while a host drains.
 */

import type { SimFleet } from "@presage/controller/internal";
import { startOpsService } from "@presage/controller/internal";
import type { MigrationRecord, OpsReplies } from "@presage/shared";
import { silentLogger } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Env, startEnv } from "../../controller/test/core/env.js";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { criticalFanEvent, poll, publishEvent, vmPlacement } from "./harness.js";

// h0 runs six busy VMs; h1 and h2 one idle VM each; h3 is empty but will be suspect
const fleet: SimFleet = {
  hosts: ["h0", "h1", "h2", "h3"].map((name) => ({ name, cpuCapacity: 32, memoryMiB: 64 * 1024 })),
  vms: [
    ...Array.from({ length: 6 }, (_, i) => ({ id: `busy${i}`, host: "h0", memoryMiB: 2048, vcpus: 4, cpuDemand: 3.5 })),
    { id: "idle1", host: "h1", memoryMiB: 2048, vcpus: 2, cpuDemand: 0.2 },
    { id: "idle2", host: "h2", memoryMiB: 2048, vcpus: 2, cpuDemand: 0.2 },
  ],
};
const ids = fleet.vms.map((v) => v.id);

let env: Env;
let ops: { stop(): Promise<void> };
let cliEnv: Record<string, string>;

async function cli<T>(args: string[]): Promise<T> {
  const r = await presage([...args, "--json"], cliEnv);
  if (r.code !== 0) throw new Error(`presage ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const hostState = async (h: string) =>
  (await cli<OpsReplies["hosts"]>(["hosts"])).hosts.find((x) => x.host === h)?.state;
const migrations = async () => (await cli<OpsReplies["migrations"]>(["migrations"])).migrations;
const settled = (ms: MigrationRecord[]) => ms.every((m) => m.status !== "queued" && m.status !== "running");

beforeAll(async () => {
  assertBuilt();
  env = await startEnv(fleet, { rebalance: { cooldownMs: 3_600_000 } }, 40);
  ops = await startOpsService(env.nc, env.ctl, { log: silentLogger });
  cliEnv = { NATS_URL: env.nats.url };
  await poll("hosts known", async () => (await env.ctl.hosts({})).hosts.length === 4, 30_000);
  // a warning makes h3 suspect: the empty, idle host must still get nothing
  await publishEvent(env.nc, criticalFanEvent("h3", env.clock.now(), { severity: "warning" }));
  await poll("h3 suspect", async () => (await hostState("h3")) === "suspect", 30_000, 200);
});

afterAll(async () => {
  await ops?.stop();
  await env?.close();
});

describe("rebalance e2e", () => {
  it("rebalance --dry-run shows the imbalance before and after and moves nothing", async () => {
    const before = await vmPlacement(env.engine, ids);
    const text = await presage(["rebalance", "--dry-run", "--aggressiveness", "5"], cliEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^dry run: nothing was moved/);
    expect(text.stdout).toMatch(/imbalance (\d\.\d{3}) -> (\d\.\d{3})/);
    const d = await cli<OpsReplies["rebalance"]>(["rebalance", "--dry-run", "--aggressiveness", "5"]);
    expect(d.applied).toBe(false);
    expect(d.plan.moves.length).toBeGreaterThan(0);
    expect(d.plan.imbalanceAfter as number).toBeLessThan(d.plan.imbalanceBefore as number);
    for (const m of d.plan.moves) {
      expect(m.from).toBe("h0");
      expect(["h1", "h2"]).toContain(m.to);
    }
    // nothing moved, nothing started, nothing stored as a migration
    await new Promise((r) => setTimeout(r, 500));
    expect(await vmPlacement(env.engine, ids)).toEqual(before);
    expect(await migrations()).toEqual([]);
  });

  it("rebalance applies the plan: busy VMs leave h0 for healthy hosts only, and the imbalance drops", async () => {
    const first = await cli<OpsReplies["rebalance"]>(["rebalance", "--aggressiveness", "5", "--max-moves", "3"]);
    expect(first.applied).toBe(true);
    expect(first.plan.moves.length).toBeGreaterThan(0);
    await poll("rebalance migrations done", async () => {
      const ms = await migrations();
      return ms.length > 0 && settled(ms) ? ms : null;
    });
    const ms = await migrations();
    expect(ms.every((m) => m.purpose === "rebalance" && m.status === "completed")).toBe(true);
    expect(ms.every((m) => m.from === "h0" && (m.to === "h1" || m.to === "h2"))).toBe(true);
    const where = await vmPlacement(env.engine, ids);
    expect([...where.values()].filter((h) => h === "h3")).toEqual([]);
    expect([...where.values()].filter((h) => h === "h0").length).toBe(6 - ms.length);
    // measured again from the new placement: lower than the first plan's starting point
    const again = await cli<OpsReplies["rebalance"]>(["rebalance", "--dry-run", "--aggressiveness", "5"]);
    expect(again.plan.imbalanceBefore as number).toBeLessThan(first.plan.imbalanceBefore as number);
    // the VMs just moved are in their cool-down: the next plan does not touch them
    const moved = new Set(ms.map((m) => m.vm));
    expect(again.plan.moves.some((m) => moved.has(m.vm))).toBe(false);
  });

  it("rebalance pauses while a host drains for maintenance, and the drain avoids the suspect host", async () => {
    const rebalances = async () => (await migrations()).filter((m) => m.purpose === "rebalance").length;
    const earlier = await rebalances();
    // in process, back to back: the drain takes well under a second at 40x, the CLI could miss it
    await env.ctl.maintenanceEnter({ hosts: ["h1"], reason: "BIOS update" }, "test");
    const d = await env.ctl.rebalance({ aggressiveness: 5 }, "test");
    expect(d.applied).toBe(false);
    expect(d.plan.moves).toEqual([]);
    expect(d.plan.reason).toMatch(/paused: evacuations are running/);
    await poll("h1 empty", async () => [...(await vmPlacement(env.engine, ids)).values()].every((h) => h !== "h1"));
    await poll("drain settled", async () => settled(await migrations()));
    expect(await hostState("h1")).toBe("maintenance");
    expect(await rebalances()).toBe(earlier);
    const drained = (await migrations()).filter((m) => m.purpose === "maintenance");
    expect(drained.length).toBeGreaterThan(0);
    expect(drained.every((m) => m.from === "h1" && m.to !== "h3")).toBe(true);
    // h1 is empty now: its maintenance window no longer holds back balancing of the rest
    const after = await cli<OpsReplies["rebalance"]>(["rebalance", "--dry-run"]);
    expect(after.plan.reason).not.toMatch(/paused/);
    const text = await presage(["rebalance", "--dry-run"], cliEnv);
    expect(text.stdout).not.toMatch(/unplaced|cannot place/);
  });
});
