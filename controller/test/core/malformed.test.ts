/** Malformed messages on every subject the controller consumes: logged, counted, dropped; the controller goes on. */
import { subjects } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { criticalFanEvent, poll, publishEvent } from "../../../test/e2e/harness.js";
import { type Env, smallFleet, startEnv } from "./env.js";

describe("controller inputs", () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(smallFleet(3, 2));
    await poll("leader", () => env.ctl.isLeader());
  });
  afterAll(async () => env?.close());

  it("controller inputs - garbage on events, health and readings is counted and dropped, then a real event still works", async () => {
    const { nc, ctl } = env;
    const bad = [
      "not json",
      "[1,2]",
      JSON.stringify({ host: "h0" }),
      JSON.stringify({ ...criticalFanEvent("h0", 1), severity: "apocalyptic" }),
    ];
    for (const b of bad) {
      await nc.request(subjects.events("h0"), b, { timeout: 5_000 }); // stored by the stream, like an agent's
      nc.publish(subjects.health("h0"), b);
      nc.publish(subjects.readings("h0"), b);
    }
    // a message whose host differs from its subject, and hosts the hypervisor does not know
    nc.publish(subjects.health("h1"), JSON.stringify({ host: "h0", ts: 1, status: "ok", conditions: [] }));
    nc.publish(subjects.health("ghost"), JSON.stringify({ host: "ghost", ts: 1, status: "ok", conditions: [] }));
    await publishEvent(nc, criticalFanEvent("ghost", 1));

    const invalid = (family: string) => ctl.metrics.get("presage_invalid_messages_total", { subject: family });
    await poll(
      "all counted",
      async () =>
        (await invalid("presage.v1.events")) >= 4 &&
        (await invalid("presage.v1.health")) >= 5 &&
        (await invalid("presage.v1.readings")) >= 4,
    );
    await poll(
      "unknown hosts counted",
      async () => (await ctl.metrics.total("presage_unknown_host_messages_total")) >= 2,
    );
    expect((await ctl.hosts({})).hosts.map((h) => h.host)).toEqual(["h0", "h1", "h2"]);
    expect((await ctl.events({})).alerts).toEqual([]);

    // still working: a valid critical event evacuates h0
    await publishEvent(nc, criticalFanEvent("h0", env.clock.now()));
    await poll("h0 quarantined", async () => (await ctl.host({ host: "h0" })).host.state === "quarantined", 60_000);
    expect((await ctl.status({})).leader).toBe(true);
  });

  it("controller inputs - readings are kept per sensor for the host view", async () => {
    const ts = Date.now();
    const reading = (v: number, i: number) => ({
      ts: ts + i,
      host: "h1",
      sensor: "FAN1",
      type: "fan",
      unit: "RPM",
      value: v,
    });
    for (let i = 0; i < 5; i++)
      env.nc.publish(subjects.readings("h1"), JSON.stringify({ host: "h1", readings: [reading(9000 - i * 100, i)] }));
    const view = await poll("readings", async () => {
      const h = await env.ctl.host({ host: "h1", readings: 3 });
      return h.history.FAN1?.length === 3 ? h : null;
    });
    expect(view.history.FAN1).toEqual([8800, 8700, 8600]);
    expect(view.readings.map((r) => r.value)).toEqual([8600]);
  });
});
