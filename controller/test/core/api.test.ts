/** The operator API of the controller over a real nats-server and a simulated fleet. */
import { subjects } from "@presage/shared";
import { afterEach, describe, expect, it } from "vitest";
import { criticalFanEvent, heartbeats, poll, publishEvent, vmPlacement } from "../../../test/e2e/harness.js";
import { type Env, smallFleet, startEnv } from "./env.js";

let env: Env | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

const stateOf = async (e: Env, h: string) => (await e.ctl.host({ host: h })).host.state;

describe("controller api", () => {
  it("controller api - repaired on a healthy host is a forbidden_transition error; unknown targets are named", async () => {
    env = await startEnv(smallFleet(3, 1));
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
    await expect(e.ctl.repaired({ host: "h0" }, "bob")).rejects.toMatchObject({
      code: "forbidden_transition",
      message: expect.stringContaining("h0 is healthy"),
    });
    await expect(e.ctl.repaired({ host: "nope" }, "bob")).rejects.toMatchObject({ code: "unknown_host" });
    await expect(e.ctl.ack({ target: "no-such-event" }, "bob")).rejects.toMatchObject({ code: "unknown_event" });
    await expect(e.ctl.planApprove({ id: "x" }, "bob")).rejects.toMatchObject({ code: "unknown_plan" });
    expect(await stateOf(e, "h0")).toBe("healthy");
  });

  it("controller api - manual policy: a critical event proposes a plan; approval evacuates", async () => {
    env = await startEnv(smallFleet(3, 2), { policy: { mode: "manual" } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
    await publishEvent(e.nc, criticalFanEvent("h0", e.clock.now()));
    const plan = await poll("proposal", async () => (await e.ctl.plans({})).plans.find((p) => p.status === "proposed"));
    expect(plan).toMatchObject({ kind: "evacuation", host: "h0" });
    expect(plan.moves.map((m) => m.vm).sort()).toEqual(["v0-0", "v0-1"]);
    expect(plan.moves.every((m) => m.to !== "h0")).toBe(true);
    // nothing moves without approval
    await e.ctl.reconcileNow();
    expect(await stateOf(e, "h0")).toBe("degraded");
    expect((await e.ctl.migrations({})).migrations).toEqual([]);
    await e.ctl.planApprove({ id: plan.id, note: "go" }, "carol");
    await poll("quarantined", async () => (await stateOf(e, "h0")) === "quarantined", 60_000);
    await poll("plan done", async () => (await e.ctl.plans({})).plans.find((p) => p.id === plan.id)?.status === "done");
  });

  it("controller api - manual policy: rejecting leaves the VMs where they are and the host suspect", async () => {
    env = await startEnv(smallFleet(3, 1), { policy: { mode: "manual" } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
    await publishEvent(e.nc, criticalFanEvent("h1", e.clock.now()));
    const plan = await poll("proposal", async () => (await e.ctl.plans({})).plans[0]);
    const r = await e.ctl.planReject({ id: plan.id, note: "false alarm" }, "carol");
    expect(r.plan.status).toBe("rejected");
    expect(await stateOf(e, "h1")).toBe("suspect");
    await expect(e.ctl.planApprove({ id: plan.id }, "carol")).rejects.toMatchObject({ code: "conflict" });
    expect((await vmPlacement(e.engine, [])).get("v1-0")).toBe("h1");
  });

  it("controller api - maintenance: dry run plans without acting; enter drains; exit brings VMs home", async () => {
    env = await startEnv(smallFleet(4, 3), { returns: { gracePeriodMs: 1_000, waveSize: 2 } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 4);
    const dry = await e.ctl.maintenanceEnter({ hosts: ["h3"], reason: "BIOS update", dryRun: true }, "dave");
    expect(dry.plans[0]?.moves).toHaveLength(3);
    expect(await stateOf(e, "h3")).toBe("healthy");
    const hb = heartbeats(e.nc, ["h0", "h1", "h2", "h3"], () => "ok");
    try {
      const r = await e.ctl.maintenanceEnter({ hosts: ["h3"], reason: "BIOS update" }, "dave");
      expect(r.hosts[0]).toMatchObject({ state: "maintenance", maintenance: { reason: "BIOS update", by: "dave" } });
      await poll("drained", async () => (await e.ctl.host({ host: "h3" })).host.vmCount === 0, 60_000);
      expect(await stateOf(e, "h3")).toBe("maintenance");
      // a second host at once would exceed the brake (20% of 4 hosts -> 1)
      await expect(e.ctl.maintenanceEnter({ hosts: ["h2"] }, "dave")).rejects.toMatchObject({ code: "brake_engaged" });
      await e.ctl.maintenanceExit({ hosts: ["h3"], note: "done" }, "dave");
      await poll("healthy", async () => (await stateOf(e, "h3")) === "healthy", 60_000);
      const where = await vmPlacement(e.engine, []);
      for (const j of [0, 1, 2]) expect(where.get(`v3-${j}`)).toBe("h3");
    } finally {
      hb.stop();
    }
  });

  it("controller api - unacknowledged criticals are re-published at the escalation interval; ack stops it", async () => {
    env = await startEnv(smallFleet(3, 0), { alerts: { escalationIntervalMs: 4_000 }, reconcile: { intervalMs: 500 } });
    const e = env;
    const seen: { type: string; alert?: { id: string; escalations: number } }[] = [];
    const sub = e.nc.subscribe(subjects.alerts, { callback: (_err, m) => seen.push(m.json()) });
    try {
      await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
      const ev = criticalFanEvent("h2", e.clock.now());
      await publishEvent(e.nc, ev);
      await poll(
        "two escalations",
        () => seen.filter((s) => s.type === "escalation" && s.alert?.id === ev.id).length >= 2,
        30_000,
      );
      expect(seen.find((s) => s.type === "alert")?.alert?.id).toBe(ev.id);
      await e.ctl.ack({ target: "h2", note: "on it" }, "erin");
      const n = seen.filter((s) => s.type === "escalation" && s.alert?.id === ev.id).length;
      await new Promise((r) => setTimeout(r, 500)); // 20 s of controller time: several intervals
      expect(seen.filter((s) => s.type === "escalation" && s.alert?.id === ev.id).length).toBe(n);
      // the ack undid nothing
      expect(await stateOf(e, "h2")).toBe("quarantined");
    } finally {
      sub.unsubscribe();
    }
  });

  it("controller api - a silent agent marks its host lost (no evacuation); the engine reporting it down fails it", async () => {
    env = await startEnv(smallFleet(3, 1), { heartbeat: { lostAfterMs: 3_000 }, reconcile: { intervalMs: 500 } });
    const e = env;
    let h1Alive = true;
    const hb = heartbeats(e.nc, ["h0", "h1", "h2"], (h) => (h === "h1" && !h1Alive ? null : "ok"));
    try {
      await poll("heartbeats seen", async () => (await e.ctl.host({ host: "h1" })).host.lastHeartbeat != null);
      h1Alive = false;
      await poll("lost", async () => (await e.ctl.host({ host: "h1" })).host.lost === true, 30_000);
      expect(await stateOf(e, "h1")).toBe("healthy");
      expect((await vmPlacement(e.engine, [])).get("v1-0")).toBe("h1");
      expect((await e.ctl.events({ host: "h1" })).alerts[0]?.reason).toMatch(/no heartbeat from h1/);
      e.engine.setHostUp("h1", false);
      await poll("failed", async () => (await stateOf(e, "h1")) === "failed", 30_000);
      h1Alive = true;
      await poll("found", async () => (await e.ctl.host({ host: "h1" })).host.lost === false, 30_000);
    } finally {
      hb.stop();
    }
  });

  it("controller api - not enough capacity: the important VMs move, the rest stay, a clear alert says so", async () => {
    const fleet = {
      hosts: [
        { name: "big", cpuCapacity: 64, memoryMiB: 64 * 1024 },
        { name: "small", cpuCapacity: 64, memoryMiB: 24 * 1024 },
      ],
      vms: [
        { id: "db", host: "big", memoryMiB: 16 * 1024, vcpus: 2 },
        { id: "batch", host: "big", memoryMiB: 16 * 1024, vcpus: 2 },
      ],
    };
    env = await startEnv(fleet, { vms: { db: { priority: 10 } } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 2);
    await publishEvent(e.nc, criticalFanEvent("big", e.clock.now()));
    const alert = await poll(
      "capacity alert",
      async () => (await e.ctl.events({ host: "big" })).alerts.find((a) => a.id.startsWith("ctl-capacity-")),
      60_000,
    );
    expect(alert.reason).toMatch(/not enough capacity to empty big: 1 VM\(s\) stay \(batch\)/);
    await poll("db moved", async () => (await vmPlacement(e.engine, [])).get("db") === "small", 60_000);
    expect((await vmPlacement(e.engine, [])).get("batch")).toBe("big");
    expect(await stateOf(e, "big")).toBe("evacuating");
  });

  it("controller api - rebalance: dry run only plans; applying moves VMs and makes their new host their home", async () => {
    const hosts = ["h0", "h1", "h2"].map((name) => ({ name, cpuCapacity: 32, memoryMiB: 64 * 1024 }));
    const vms = Array.from({ length: 8 }, (_, i) => ({
      id: `b${i}`,
      host: "h0",
      memoryMiB: 4096,
      vcpus: 4,
      cpuDemand: 3,
    }));
    env = await startEnv({ hosts, vms }, { rebalance: { cooldownMs: 0 } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
    const dry = await e.ctl.rebalance({ dryRun: true, aggressiveness: 5 }, "frank");
    expect(dry.applied).toBe(false);
    expect(dry.plan.kind).toBe("rebalance");
    expect(dry.plan.moves.length).toBeGreaterThan(0);
    expect((await e.ctl.migrations({})).migrations).toEqual([]);
    const run = await e.ctl.rebalance({ aggressiveness: 5 }, "frank");
    expect(run.applied).toBe(true);
    const moved = run.plan.moves.map((m) => m.vm);
    await poll(
      "moved",
      async () => (await e.ctl.migrations({})).migrations.filter((m) => m.status === "completed").length > 0,
      30_000,
    );
    await poll("settled", async () => (await e.ctl.migrations({ active: true })).migrations.length === 0, 30_000);
    const done = (await e.ctl.migrations({})).migrations.filter((m) => m.status === "completed");
    expect(done.every((m) => m.purpose === "rebalance" && moved.includes(m.vm))).toBe(true);
    const view = await e.ctl.host({ host: done[0]?.to as string });
    expect(view.vms.find((v) => v.id === done[0]?.vm)?.home).toBe(done[0]?.to);
  });

  it("controller api - a failed migration is retried after the retry delay and the evacuation completes", async () => {
    env = await startEnv(smallFleet(3, 2), { migration: { retryAfterMs: 5_000 } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 3);
    e.engine.injectFailure({ kind: "target-dies", vm: "v0-0", times: 1 });
    await publishEvent(e.nc, criticalFanEvent("h0", e.clock.now()));
    await poll("quarantined", async () => (await stateOf(e, "h0")) === "quarantined", 60_000);
    const migs = (await e.ctl.migrations({})).migrations.filter((m) => m.vm === "v0-0");
    expect(migs.map((m) => m.status).sort()).toEqual(["completed", "failed"]);
    const failed = migs.find((m) => m.status === "failed");
    const retried = migs.find((m) => m.status === "completed");
    expect((retried?.startedAt ?? 0) - (failed?.finishedAt ?? 0)).toBeGreaterThanOrEqual(5_000);
    expect(new Set(migs.map((m) => m.id)).size).toBe(2);
  });
});
