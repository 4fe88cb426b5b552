/**
 * Two controller replicas, each serving the dashboard: the follower's page says which replica leads and
 * links to its dashboard; when the leader stops, the follower takes over and its page, left open, turns
 * into the fleet view by itself. In Chromium; a console error fails the test.
 */
import {
  type Controller,
  controllerConfig,
  createController,
  type Dashboard,
  generateFleet,
  SimEngine,
  startDashboard,
} from "@presage/controller/internal";
import { silentLogger, systemClock } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, noBrowser, openPage } from "./browser.js";
import { poll } from "./harness.js";

const LONG = 60_000;

describe.skipIf(noBrowser)("dashboard - two replicas in Chromium", () => {
  const env = natsEnv();
  const fleet = generateFleet({ hosts: 4, vmsPerHost: 2, seed: 9 });
  const replicas: { ctl: Controller; engine: SimEngine; dash: Dashboard; stopped: boolean }[] = [];
  let browser: Browser;

  async function replica(name: string) {
    const engine = new SimEngine({ ...fleet, clock: systemClock, log: silentLogger });
    const config = controllerConfig({
      nats: { url: env.url },
      name,
      leader: { enabled: true, leaseTtlMs: 2_000 },
      http: { listen: "127.0.0.1:0" },
    });
    const ctl = await createController({ nc: env.nc, engine, config, log: silentLogger, name });
    await ctl.start();
    const dash = await startDashboard({ nc: env.nc, controller: ctl, http: config.http, log: silentLogger });
    const r = { ctl, engine, dash, stopped: false };
    replicas.push(r);
    return r;
  }

  async function stop(r: (typeof replicas)[number]) {
    if (r.stopped) return;
    r.stopped = true;
    await r.dash.stop();
    await r.ctl.stop();
    await r.engine.close();
  }

  beforeAll(async () => {
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const r of replicas) await stop(r);
  });

  it("dashboard - a follower's page names the leader and links to it, and becomes the fleet view after a failover", async () => {
    const a = await replica("ctl-a");
    await poll("ctl-a to lead", () => a.ctl.isLeader(), LONG);
    const b = await replica("ctl-b");
    await poll("ctl-b to see the lease", () => b.ctl.leaderName() === "ctl-a", LONG);

    const { page, errors } = await openPage(browser);
    await page.goto(b.dash.url);
    const follower = page.locator("[data-follower]");
    await follower.waitFor();
    expect(await follower.textContent()).toContain("ctl-b is a follower");
    expect(await follower.locator("a").getAttribute("href")).toBe(a.dash.url);

    const other = await openPage(browser);
    await other.page.goto(b.dash.url);
    await other.page.locator("[data-follower] a").click();
    await other.page.locator("[data-host]").nth(3).waitFor();
    expect(await other.page.locator("[data-leader]").textContent()).toContain("leader ctl-a");
    await other.page.close();
    expect(other.errors).toEqual([]);

    // the leader goes away; the page left open on the follower turns into the fleet view
    await stop(a);
    await poll("ctl-b to lead", () => b.ctl.isLeader(), LONG);
    await page.locator("[data-host]").nth(3).waitFor({ timeout: LONG });
    expect(await page.locator("[data-leader]").textContent()).toContain("leader ctl-b");
    expect(errors).toEqual([]);
  }, 120_000);
});
