/**
 * kill -9 the controller at every step of a 50-VM evacuation: after each audit record it writes,
 * a new incarnation starts, reads the KV state and the hypervisor's truth, and rolls forward.
 * At the end every VM exists exactly once on a healthy host, no migration ran twice, and the audit
 * trail tells the story.
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

const MAX_KILLS = 20;

describe("chaos - controller killed at every step", () => {
  const env = natsEnv();
  let hv: Hypervisor;
  let ctl: ControllerProc | null = null;

  beforeAll(async () => {
    await buildController();
  }, 200_000);
  afterAll(async () => {
    await ctl?.kill9();
    await hv?.close();
  });

  it("chaos - kill -9 after every audited step of a 50-VM evacuation; nothing lost, nothing doubled", async () => {
    const fleet = chaosFleet(50);
    const ids = fleet.vms.map((v) => v.id);
    const sick = fleet.vms.filter((v) => v.host === "c0").map((v) => v.id);
    hv = await startHypervisor(env.url, fleet, scaledClock(3));
    const audit = watchAudit(env.nc);
    try {
      ctl = startControllerProc(env.url, "chaos-ctl");
      await poll("first leader", () => audit.records.some((r) => r.action === "leader"), 30_000);
      await publishEvent(env.nc, criticalFanEvent("c0", Date.now()));

      let kills = 0;
      const done = () => audit.records.some((r) => r.action === "transition" && r.data?.to === "quarantined");
      // kill after 1..6 new records of this incarnation (seeded), so kills land between every kind of
      // step all through the evacuation; at most MAX_KILLS keeps the suite within its time budget
      let seed = 7;
      const nextStep = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return 1 + (seed % 6);
      };
      while (!done() && kills < MAX_KILLS) {
        const seen = audit.records.length;
        const step = nextStep();
        await poll("a step", () => audit.records.length >= seen + step || done(), 60_000, 5);
        if (done()) break;
        await (ctl as ControllerProc).kill9();
        kills++;
        // the hypervisor never stops: the invariant holds even while no controller runs
        await vmPlacement(hv.engine, ids);
        ctl = startControllerProc(env.url, "chaos-ctl");
      }
      expect(kills).toBeGreaterThanOrEqual(12);
      await poll("quarantined", done, 120_000);

      await poll("settled", async () => (await hv.engine.activeMigrations()).length === 0, 30_000);
      const where = await vmPlacement(hv.engine, ids);
      for (const id of sick) expect(where.get(id), id).not.toBe("c0");
      const store = await readStore(env.nc);
      for (const h of new Set(where.values())) expect(store.hosts.get(h)?.state, h).toBe("healthy");
      expect(store.vms.size).toBe(ids.length);
      expect(store.hosts.get("c0")?.state).toBe("quarantined");

      // no migration twice: one completed evacuation per VM, ids never reused
      const migs = [...store.migrations.values()];
      for (const id of sick)
        expect(
          migs.filter((m) => m.vm === id && m.status === "completed"),
          id,
        ).toHaveLength(1);
      expect(migs.some((m) => m.status === "queued" || m.status === "running")).toBe(false);
      const stored = await readAudit(env.nc);
      const starts = stored.filter((r) => r.action === "migration.start").map((r) => r.data?.migration);
      expect(new Set(starts).size).toBe(starts.length);
      const story = stored.filter((r) => r.host === "c0" && r.action === "transition").map((r) => r.data?.to);
      expect(story).toEqual(["degraded", "evacuating", "quarantined"]);
      expect(stored.filter((r) => r.action === "leader").length).toBe(kills + 1);
      expect(stored.filter((r) => r.action === "migration.done").length).toBe(50);
      console.log(
        `controller kill -9'd ${kills} times during the evacuation; ${stored.filter((r) => r.action === "migration.resume").length} migrations re-attached, ${stored.filter((r) => r.action === "migration.failed").length} interrupted and re-planned`,
      );
    } finally {
      audit.stop();
    }
  }, 240_000);
});
