/**
 * Planned maintenance end to end (issue 9): the built `presage` CLI, the ops service and the real
 * controller over a real nats-server with a SimEngine fleet. A dry run changes nothing; `maintenance
 * enter` empties the host (state `maintenance`) without using the suspect host; the safety brake
 * refuses a second host; `maintenance exit` brings the home VMs back; a scheduled window starts on time.
 */

import type { SimFleet } from "@presage/controller/internal";
import { startOpsService } from "@presage/controller/internal";
import type { OpsReplies } from "@presage/shared";
import { silentLogger } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Env, startEnv } from "../../controller/test/core/env.js";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { criticalFanEvent, poll, publishEvent, vmPlacement } from "./harness.js";

const fleet: SimFleet = {
  hosts: ["h0", "h1", "h2", "h3"].map((name) => ({ name, cpuCapacity: 32, memoryMiB: 64 * 1024 })),
  vms: ["h0", "h1", "h2", "h3"].flatMap((host) =>
    Array.from({ length: 3 }, (_, i) => ({ id: `${host}-vm${i}`, host, memoryMiB: 4096, vcpus: 2, cpuDemand: 1 })),
  ),
};
const ids = fleet.vms.map((v) => v.id);
const homeOf = (id: string) => id.split("-")[0] as string;

let env: Env;
let ops: { stop(): Promise<void> };
let cliEnv: Record<string, string>;

async function cli<T>(args: string[]): Promise<T> {
  const r = await presage([...args, "--json"], cliEnv);
  if (r.code !== 0) throw new Error(`presage ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const hostRow = async (h: string) => (await cli<OpsReplies["hosts"]>(["hosts"])).hosts.find((x) => x.host === h);
const migrations = async () => (await cli<OpsReplies["migrations"]>(["migrations"])).migrations;
const vmsOn = async (h: string) =>
  [...(await vmPlacement(env.engine, ids)).entries()].filter(([, at]) => at === h).map(([id]) => id);

beforeAll(async () => {
  assertBuilt();
  env = await startEnv(fleet, { returns: { gracePeriodMs: 5_000, waveSize: 2 } }, 40);
  ops = await startOpsService(env.nc, env.ctl, { log: silentLogger });
  cliEnv = { NATS_URL: env.nats.url };
  await poll("hosts known", async () => (await env.ctl.hosts({})).hosts.length === 4, 30_000);
  // h3 reports a warning: it stays in service but must receive nothing
  await publishEvent(env.nc, criticalFanEvent("h3", env.clock.now(), { severity: "warning" }));
  await poll("h3 suspect", async () => (await hostRow("h3"))?.state === "suspect", 30_000, 200);
});

afterAll(async () => {
  await ops?.stop();
  await env?.close();
});

describe("maintenance e2e", () => {
  it("maintenance enter --dry-run shows where each VM would go and changes nothing", async () => {
    const text = await presage(["maintenance", "enter", "h1", "--dry-run"], cliEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^dry run: nothing was changed/);
    // the preview: drain estimate per host and the brake order
    expect(text.stdout).toMatch(/h1: 3 VM\(s\), 12\.0 GiB -> .+; empty after about \d+ s/);
    expect(text.stdout).toMatch(/all 1 enter now \(safety brake: 0 of at most 1 hosts in remediation\)/);
    const d = await cli<OpsReplies["maintenance-enter"]>(["maintenance", "enter", "h1", "--dry-run"]);
    const plan = d.plans[0];
    expect(plan?.kind).toBe("maintenance");
    expect(plan?.moves.map((m) => m.vm).sort()).toEqual(["h1-vm0", "h1-vm1", "h1-vm2"]);
    for (const m of plan?.moves ?? []) expect(["h0", "h2"]).toContain(m.to);
    await new Promise((r) => setTimeout(r, 500));
    expect((await hostRow("h1"))?.state).toBe("healthy");
    expect((await vmsOn("h1")).sort()).toEqual(["h1-vm0", "h1-vm1", "h1-vm2"]);
    expect(await migrations()).toEqual([]);
  });

  it("maintenance enter empties the host into healthy hosts only, and the brake refuses a second host", async () => {
    const landed: string[] = [];
    const sampler = setInterval(() => {
      vmPlacement(env.engine, ids)
        .then((w) => {
          for (const [id, h] of w) if (h === "h3" && homeOf(id) !== "h3") landed.push(`${id} on suspect h3`);
        })
        .catch((e) => landed.push(String(e)));
    }, 100);
    try {
      const r = await cli<OpsReplies["maintenance-enter"]>(["maintenance", "enter", "h1", "--reason", "BIOS update"]);
      expect(r.hosts[0]?.state).toBe("maintenance");
      expect(r.hosts[0]?.maintenance?.reason).toBe("BIOS update");
      await poll("h1 empty", async () => (await vmsOn("h1")).length === 0, 60_000);
      await poll("drain settled", async () =>
        (await migrations()).every((m) => m.status !== "running" && m.status !== "queued"),
      );
    } finally {
      clearInterval(sampler);
    }
    expect(landed).toEqual([]);
    expect((await hostRow("h1"))?.state).toBe("maintenance");
    const ms = await migrations();
    expect(ms).toHaveLength(3);
    expect(ms.every((m) => m.purpose === "maintenance" && m.status === "completed" && m.from === "h1")).toBe(true);
    // four hosts allow one in remediation at a time (brake maxPercent 20 %, at least 1)
    const refused = await presage(["maintenance", "enter", "h0", "--json"], cliEnv);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/safety brake/);
    expect((await hostRow("h0"))?.state).toBe("healthy");
  });

  it("maintenance exit returns the host's own VMs to it", async () => {
    const r = await cli<OpsReplies["maintenance-exit"]>(["maintenance", "exit", "h1"]);
    expect(r.hosts[0]?.state).toBe("returning");
    await poll("h1 healthy again", async () => (await hostRow("h1"))?.state === "healthy", 90_000, 300);
    expect((await vmsOn("h1")).sort()).toEqual(["h1-vm0", "h1-vm1", "h1-vm2"]);
    const back = (await migrations()).filter((m) => m.purpose === "return");
    expect(back.map((m) => m.vm).sort()).toEqual(["h1-vm0", "h1-vm1", "h1-vm2"]);
  });

  it("a scheduled window starts at its time, not before", async () => {
    const at = env.clock.now() + 4 * 60_000; // 4 simulated minutes: 6 s at 40x
    const r = await cli<OpsReplies["maintenance-enter"]>([
      "maintenance",
      "enter",
      "h2",
      "--at",
      new Date(at).toISOString(),
    ]);
    expect(r.scheduledAt).toBe(at);
    expect((await hostRow("h2"))?.state).toBe("healthy");
    await poll("h2 in maintenance", async () => (await hostRow("h2"))?.state === "maintenance", 60_000, 200);
    expect((await hostRow("h2"))?.since).toBeGreaterThanOrEqual(at);
    await poll("h2 empty", async () => (await vmsOn("h2")).length === 0, 60_000);
  });
});
