/**
 * nats-server restarts (SIGKILL, same store) in the middle of an evacuation: the controller
 * reconnects, its durable consumer resumes, KV writes and audit records queued during the outage
 * land, and an event published after the restart is not lost.
 */

import { type Controller, controllerConfig, createController, SimEngine } from "@presage/controller/internal";
import { connectNats, scaledClock, silentLogger } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { afterAll, describe, expect, it } from "vitest";
import { criticalFanEvent, poll, publishEvent, readAudit, vmPlacement } from "../e2e/harness.js";
import { chaosFleet, readStore, watchAudit } from "./harness.js";

describe("chaos - nats-server restart mid-evacuation", () => {
  const env = natsEnv();
  let ctl: Controller;
  let engine: SimEngine;

  afterAll(async () => {
    await ctl?.stop();
    await engine?.close();
  });

  it("chaos - evacuation completes across a NATS restart; no event, VM or audit record lost", async () => {
    const fleet = chaosFleet(30);
    const ids = fleet.vms.map((v) => v.id);
    const clock = scaledClock(2);
    engine = new SimEngine({ ...fleet, clock, log: silentLogger });
    const config = controllerConfig({
      nats: { url: env.url },
      leader: { enabled: true, leaseTtlMs: 4_000 },
      reconcile: { intervalMs: 1_000 },
      concurrency: { perSource: 3, perTarget: 2, fleet: 6 },
      brake: { maxHosts: 3, maxPercent: 50 },
    });
    const ctlNc = await connectNats({ url: env.url });
    ctl = await createController({ nc: ctlNc, engine, config, clock, log: silentLogger, name: "ctl-r" });
    await ctl.start();
    await poll("leader", () => ctl.isLeader());
    const audit = watchAudit(env.nc);
    try {
      await publishEvent(env.nc, criticalFanEvent("c0", clock.now()));
      await poll(
        "some migrations done",
        () => audit.records.filter((r) => r.action === "migration.done").length >= 5,
        60_000,
      );
      await env.server.restart();
      // an agent publishes a second critical right after the restart, while the controller reconnects
      await poll(
        "event stored",
        async () => {
          await publishEvent(env.nc, criticalFanEvent("c5", clock.now()));
          return true;
        },
        30_000,
        250,
      );
      const store = async () => readStore(env.nc);
      await poll(
        "both quarantined",
        async () => {
          const s = await store();
          return s.hosts.get("c0")?.state === "quarantined" && s.hosts.get("c5")?.state === "quarantined";
        },
        120_000,
        500,
      );
      const where = await vmPlacement(engine, ids);
      expect([...where.values()].filter((h) => h === "c0" || h === "c5")).toEqual([]);
      const s = await store();
      for (const h of new Set(where.values())) expect(s.hosts.get(h)?.state).toBe("healthy");
      const trail = await poll("audit complete", async () => {
        const a = await readAudit(env.nc);
        return a.filter((r) => r.action === "transition" && r.data?.to === "quarantined").length === 2 ? a : null;
      });
      for (const h of ["c0", "c5"])
        expect(trail.filter((r) => r.host === h && r.action === "transition").map((r) => r.data?.to)).toEqual([
          "degraded",
          "evacuating",
          "quarantined",
        ]);
      const moved = fleet.vms.filter((v) => v.host === "c0" || v.host === "c5").length;
      expect(new Set(trail.filter((r) => r.action === "migration.done").map((r) => r.vm)).size).toBe(moved);
    } finally {
      audit.stop();
      await ctl.stop();
      await ctlNc.close();
    }
  }, 240_000);
});
