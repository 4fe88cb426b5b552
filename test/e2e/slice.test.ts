/**
 * The first end-to-end slice (issue 3) over a real nats-server: a critical fan event evacuates the
 * host, the alert is acknowledged, the host is marked repaired, reports healthy heartbeats, and
 * its VMs go home. At every stage: no VM lost, none on two hosts, none placed on the sick host.
 */

import {
  type Controller,
  controllerConfig,
  createController,
  generateFleet,
  SimEngine,
} from "@presage/controller/internal";
import { scaledClock, silentLogger } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { afterAll, describe, expect, it } from "vitest";
import { criticalFanEvent, heartbeats, poll, publishEvent, readAudit, vmPlacement } from "./harness.js";

describe("slice - fan failure to evacuation to repair to VMs home", () => {
  const env = natsEnv();
  let ctl: Controller;
  let engine: SimEngine;
  const clock = scaledClock(40);

  afterAll(async () => {
    await ctl?.stop();
    await engine?.close();
  });

  it("slice - every VM is somewhere exactly once at every stage and all are home at the end", async () => {
    const fleet = generateFleet({ hosts: 6, vmsPerHost: 5, seed: 3 });
    engine = new SimEngine({ ...fleet, clock, log: silentLogger });
    const ids = fleet.vms.map((v) => v.id);
    const home = new Map(fleet.vms.map((v) => [v.id, v.host]));
    const hosts = fleet.hosts.map((h) => h.name);
    const sick = hosts[2] as string;
    const onSick = ids.filter((id) => home.get(id) === sick);
    expect(ids.length).toBeGreaterThanOrEqual(25);
    expect(onSick.length).toBeGreaterThan(0);

    const config = controllerConfig({
      nats: { url: env.url },
      leader: { enabled: true, leaseTtlMs: 2_000 },
      reconcile: { intervalMs: 1_000 },
      returns: { gracePeriodMs: 10_000, waveSize: 2 },
      alerts: { escalationIntervalMs: 3_600_000 },
    });
    ctl = await createController({ nc: env.nc, engine, config, clock, log: silentLogger, name: "ctl-a" });
    await ctl.start();
    await poll("leadership", () => ctl.isLeader());

    let sickStatus: "ok" | "critical" = "ok";
    const hb = heartbeats(env.nc, hosts, (h) => (h === sick ? sickStatus : "ok"));
    // the invariant, sampled all along: never a VM lost or doubled, never one moved onto the sick host
    const violations: string[] = [];
    let stage = "healthy";
    const sampler = setInterval(() => {
      vmPlacement(engine, ids)
        .then((where) => {
          for (const [id, h] of where)
            if (h === sick && home.get(id) !== sick && stage !== "returning")
              violations.push(`${stage}: ${id} was placed on the sick host`);
        })
        .catch((e) => violations.push(`${stage}: ${String(e)}`));
    }, 100);
    try {
      await poll("hosts known", async () => (await ctl.hosts({})).hosts.length === 6);

      // 1. a critical fan degradation: degraded -> evacuating -> quarantined
      sickStatus = "critical";
      stage = "evacuating";
      const ev = criticalFanEvent(sick, clock.now());
      await publishEvent(env.nc, ev);
      await poll("quarantined", async () => (await ctl.host({ host: sick })).host.state === "quarantined", 90_000);
      const afterEvac = await vmPlacement(engine, ids);
      for (const id of onSick) expect(afterEvac.get(id)).not.toBe(sick);
      expect([...afterEvac.values()].filter((h) => h === sick)).toHaveLength(0);
      const migs = (await ctl.migrations({})).migrations;
      expect(migs.filter((m) => m.status === "completed" && m.from === sick)).toHaveLength(onSick.length);
      for (const m of migs) expect(m.to).not.toBe(sick);

      // 2. the alert exists and is acknowledged; the ack undoes nothing
      const events = await ctl.events({ host: sick });
      expect(events.alerts.map((a) => a.id)).toContain(ev.id);
      const { acked } = await ctl.ack({ target: ev.id, note: "fan ordered" }, "alice");
      expect(acked).toHaveLength(1);
      expect(acked[0]?.ack).toMatchObject({ by: "alice", note: "fan ordered" });
      expect((await ctl.host({ host: sick })).host.state).toBe("quarantined");

      // 3. repaired -> returning; healthy heartbeats for the grace period; VMs go home in waves
      sickStatus = "ok";
      stage = "returning";
      // repaired is refused while the agent still reports critical: wait for its first healthy heartbeat
      await poll("agent reports ok", async () => (await ctl.host({ host: sick })).health?.status === "ok");
      const rep = await ctl.repaired({ host: sick, note: "fan replaced" }, "alice");
      expect(rep.host.state).toBe("returning");
      // the repair resolves the host's alerts: nothing stays open (or escalates) for a fixed fan
      expect((await ctl.events({ host: sick, open: true })).alerts).toEqual([]);
      await poll("healthy again", async () => (await ctl.host({ host: sick })).host.state === "healthy", 120_000);
      stage = "done";
      const final = await vmPlacement(engine, ids);
      for (const [id, h] of final) expect(h, `${id} is home`).toBe(home.get(id));
      expect(violations).toEqual([]);

      // 4. the audit trail tells the story, with the operator as actor where it was one
      const audit = await poll("audit stored", async () => {
        const a = await readAudit(env.nc);
        return a.some((r) => r.action === "transition" && r.data?.to === "healthy") ? a : null;
      });
      const story = audit.filter((r) => r.host === sick && r.action === "transition").map((r) => r.data?.to);
      expect(story).toEqual(["degraded", "evacuating", "quarantined", "returning", "healthy"]);
      expect(audit.find((r) => r.action === "ack")?.actor).toBe("alice");
      expect(audit.filter((r) => r.action === "migration.done")).toHaveLength(onSick.length * 2);
    } finally {
      clearInterval(sampler);
      hb.stop();
    }
  }, 240_000);
});
