/** Maintenance of a rack under the safety brake, and balancing next to an emptied host in maintenance. */
import { afterEach, describe, expect, it } from "vitest";
import { poll, vmPlacement } from "../../../test/e2e/harness.js";
import { type Env, smallFleet, startEnv } from "./env.js";

let env: Env | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

const stateOf = async (e: Env, h: string) => (await e.ctl.host({ host: h })).host.state;
const vmsOn = async (e: Env, ids: string[], h: string) =>
  [...(await vmPlacement(e.engine, ids)).entries()].filter(([, at]) => at === h).map(([id]) => id);

describe("maintenance of a rack", () => {
  it("a brake of 1 admits one host of three and queues two, which start in turn as each leaves maintenance", async () => {
    const fleet = smallFleet(6, 1);
    // h0 carries the most memory, so it goes last; h1 and h2 are equal (name order)
    fleet.vms.push({ id: "v0-extra", host: "h0", memoryMiB: 4096, vcpus: 2, cpuDemand: 1 });
    const ids = fleet.vms.map((v) => v.id);
    env = await startEnv(fleet, { brake: { maxHosts: 1, maxPercent: 100 } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 6);

    const preview = await e.ctl.maintenanceEnter({ hosts: ["h0", "h1", "h2"], dryRun: true }, "bob");
    expect(preview.waiting).toEqual(["h2", "h0"]);
    expect(preview.plans[0]?.details?.join("\n")).toMatch(/1 enter now \(h1\), 2 wait in this order: h2, h0/);
    expect(await stateOf(e, "h1")).toBe("healthy");

    const r = await e.ctl.maintenanceEnter({ hosts: ["h0", "h1", "h2"], reason: "rack r1 power" }, "bob");
    expect(r.waiting).toEqual(["h2", "h0"]);
    expect(r.hosts.map((h) => [h.host, h.state])).toEqual([
      ["h1", "maintenance"],
      ["h2", "healthy"],
      ["h0", "healthy"],
    ]);
    expect(r.plans.filter((p) => p.status === "approved").map((p) => p.host)).toEqual(["h2", "h0"]);
    const audit = (await e.ctl.host({ host: "h2" })).audit.map((a) => a.detail).join("\n");
    expect(audit).toMatch(/waits for the brake .*number 1 of 2/);

    await poll("h1 empty", async () => (await vmsOn(e, ids, "h1")).length === 0, 60_000);
    await e.ctl.reconcileNow();
    expect(await stateOf(e, "h2")).toBe("healthy"); // h1 still holds the brake
    await e.ctl.maintenanceExit({ hosts: ["h1"] }, "bob");
    await poll("h2 in maintenance", async () => (await stateOf(e, "h2")) === "maintenance", 60_000);
    expect(await stateOf(e, "h0")).toBe("healthy");
    await poll("h2 empty", async () => (await vmsOn(e, ids, "h2")).length === 0, 60_000);
    await e.ctl.maintenanceExit({ hosts: ["h2"] }, "bob");
    await poll("h0 in maintenance", async () => (await stateOf(e, "h0")) === "maintenance", 60_000);
    await poll("h0 empty", async () => (await vmsOn(e, ids, "h0")).length === 0, 60_000);
    // nothing landed on a rack host while it waited or drained
    const placement = await vmPlacement(e.engine, ids);
    expect([...placement.values()].filter((h) => h === "h0")).toEqual([]);
  }, 180_000);

  it("a request of which no host can start while the brake is full is refused, and changes nothing", async () => {
    env = await startEnv(smallFleet(4, 1), { brake: { maxHosts: 1, maxPercent: 100 } });
    const e = env;
    await poll("hosts", async () => (await e.ctl.hosts({})).hosts.length === 4);
    await e.ctl.maintenanceEnter({ hosts: ["h0"] }, "bob");
    await expect(e.ctl.maintenanceEnter({ hosts: ["h1", "h2"] }, "bob")).rejects.toMatchObject({
      code: "brake_engaged",
      message: expect.stringContaining("none of h1, h2 can enter now"),
    });
    expect((await e.ctl.plans({})).plans.filter((p) => p.host === "h1" || p.host === "h2")).toEqual([]);
  }, 60_000);
});
