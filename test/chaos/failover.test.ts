/**
 * Two controller replicas: kill -9 the leader mid-evacuation; the follower takes over within
 * seconds (lease expiry), re-attaches to the running migrations and finishes the evacuation.
 */
import { scaledClock } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { criticalFanEvent, poll, publishEvent, readAudit, vmPlacement } from "../e2e/harness.js";
import {
  buildController,
  type ControllerProc,
  chaosFleet,
  type Hypervisor,
  readStore,
  startControllerProc,
  startHypervisor,
  watchAudit,
} from "./harness.js";

describe("chaos - leader failover", () => {
  const env = natsEnv();
  let hv: Hypervisor;
  const procs: ControllerProc[] = [];

  beforeAll(async () => {
    await buildController();
  }, 200_000);
  afterAll(async () => {
    for (const p of procs) await p.kill9();
    await hv?.close();
  });

  it("chaos - kill -9 the leader of two replicas; the follower takes over within seconds and finishes", async () => {
    const fleet = chaosFleet(30);
    const ids = fleet.vms.map((v) => v.id);
    hv = await startHypervisor(env.url, fleet, scaledClock(2));
    const audit = watchAudit(env.nc);
    try {
      procs.push(startControllerProc(env.url, "replica-a"));
      await poll("a leads", () => audit.records.some((r) => r.action === "leader"), 30_000);
      procs.push(startControllerProc(env.url, "replica-b"));
      await new Promise((r) => setTimeout(r, 1_500)); // b is up and campaigning
      const leaderName = audit.records.find((r) => r.action === "leader")?.actor;
      expect(leaderName).toBe("replica-a");

      await publishEvent(env.nc, criticalFanEvent("c0", Date.now()));
      await poll(
        "evacuation under way",
        () => audit.records.filter((r) => r.action === "migration.done").length >= 5,
        60_000,
      );
      const killedAt = Date.now();
      await (procs[0] as ControllerProc).kill9();
      const took = await poll(
        "b leads",
        () => {
          const r = audit.records.find((x) => x.action === "leader" && x.actor === "replica-b");
          return r ? Date.now() - killedAt : null;
        },
        30_000,
        20,
      );
      expect(took).toBeLessThan(6_000); // lease TTL 2 s + renewal period + load

      await poll(
        "quarantined",
        () => audit.records.some((r) => r.action === "transition" && r.data?.to === "quarantined"),
        120_000,
      );
      await poll("settled", async () => (await hv.engine.activeMigrations()).length === 0, 30_000);
      const where = await vmPlacement(hv.engine, ids);
      expect([...where.values()]).not.toContain("c0");
      const store = await readStore(env.nc);
      for (const h of new Set(where.values())) expect(store.hosts.get(h)?.state).toBe("healthy");
      const trail = await readAudit(env.nc);
      // once b leads, only b decides; a's decisions all come before
      const bFrom = trail.findIndex((r) => r.action === "leader" && r.actor === "replica-b");
      expect(trail.slice(bFrom).every((r) => r.data?.replica === "replica-b")).toBe(true);
      expect(trail.slice(0, bFrom).some((r) => r.action === "migration.start" && r.data?.replica === "replica-a")).toBe(
        true,
      );
      expect(trail.slice(bFrom).some((r) => r.action === "migration.start")).toBe(true);
      const done = trail.filter((r) => r.action === "migration.done").map((r) => r.vm);
      expect(new Set(done).size).toBe(done.length);
      expect(done.length).toBe(30);
      console.log(`follower took over ${took} ms after the leader was killed`);
    } finally {
      audit.stop();
    }
  }, 240_000);
});
