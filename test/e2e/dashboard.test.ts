/**
 * The dashboard in a real browser against the real system: the demo's fleet (nats-server, simulated
 * hypervisors, the controller with its dashboard, one real agent per host) with a fan bearing wearing
 * out on one host. The page shows the host turn degraded then evacuating, its fan chart, acknowledges
 * the alert and marks the host repaired with its buttons, and shows the VMs back and the tile green.
 * Screenshots go to test/.work/dashboard (PRESAGE_TEST_OUT overrides); a console error fails the test.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DEMO_USER, DemoFleet, waitHealthy } from "@presage/demo/internal";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, noBrowser, openPage } from "./browser.js";
import { poll } from "./harness.js";

const OUT = process.env.PRESAGE_TEST_OUT || join(import.meta.dirname, "../.work/dashboard");
const HOUR = 3_600_000;
const SICK = 2;
/** generous: this waits for conditions, it never measures speed */
const LONG = 120_000;

describe.skipIf(noBrowser)("dashboard - in Chromium against a simulated fleet", () => {
  let fleet: DemoFleet;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    fleet = await new DemoFleet({
      hosts: 6,
      vmsPerHost: 5,
      // 500x, as the demo's own test: on a busy machine a faster clock leaves the agents too few polls
      speed: 500,
      seed: 7,
      listen: "127.0.0.1:0",
      faults: (_h, i, t0) =>
        i === SICK ? [{ kind: "fan-wear", fan: 2, start: t0 + 20 * 60_000, durationMs: 9 * HOUR, stop: true }] : [],
    }).start();
    browser = await launch();
    ({ page, errors } = await openPage(browser));
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  const tile = (host: string) => page.locator(`[data-host="${host}"]`);

  it("dashboard - follows a fan failure from the fleet view to the repaired host with its VMs home", async () => {
    try {
      await story();
    } catch (e) {
      await shot("failed").catch(() => {});
      throw new Error(`${(e as Error).message}\npage errors: ${JSON.stringify(errors)}`, { cause: e });
    }
    expect(errors).toEqual([]);
  }, 480_000);

  async function story(): Promise<void> {
    const sick = fleet.hosts[SICK] as string;
    await page.goto(fleet.dashboard?.url as string);
    await page.locator("[data-host]").nth(5).waitFor();
    expect(await page.locator("[data-host]").count()).toBe(6);
    // the page must be watching before the story starts (the wear shows ~5 simulated hours in: ~36 s here)
    expect(await tile(sick).getAttribute("data-state"), "the page loaded after the host degraded").toMatch(
      /healthy|suspect/,
    );
    expect(await tile(sick).locator("[data-vms]").getAttribute("data-vms")).toBe("5");
    // every state the tile shows, in order, as the page renders it
    await page.evaluate((host) => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const el = document.querySelector(`[data-host="${host}"]`) as Element;
      seen.push(el.getAttribute("data-state") as string);
      new MutationObserver(() => {
        const s = el.getAttribute("data-state") as string;
        if (seen[seen.length - 1] !== s) seen.push(s);
      }).observe(el, { attributes: true, attributeFilter: ["data-state"] });
    }, sick);
    await shot("1-fleet-healthy");

    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.includes("evacuating"), null, {
      timeout: LONG,
    });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.indexOf("degraded")).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf("degraded")).toBeLessThan(seen.indexOf("evacuating"));
    // the tile counts the open alerts that made it sick
    await page.waitForSelector(`[data-host="${sick}"] [data-open-alerts]`, { timeout: LONG });
    await shot("2-fleet-evacuating");

    // the host view: the fan chart, drawn with the cause of the event on FAN3
    await tile(sick).click();
    await page.locator(`[data-host-view="${sick}"]`).waitFor();
    const fans = page.locator('[data-chart="fans"]');
    await fans.locator("canvas").first().waitFor();
    expect(await fans.getAttribute("data-sensors")).toContain("FAN3");
    await page.waitForSelector('[data-chart="fans"][data-overlay="FAN3"]', { timeout: LONG });
    await shot("3-host-fan-chart");

    // log in, then acknowledge the critical alert with a note
    await page.locator("[data-login]").click();
    await page.fill('input[name="user"]', DEMO_USER);
    await page.fill('input[name="token"]', fleet.token);
    await page.locator(".login button[type=submit]").click();
    await page.getByText("log out").waitFor();
    const critical = page.locator("tr[data-alert]", { has: page.locator("td.bad", { hasText: "critical" }) }).first();
    const alertId = (await critical.getAttribute("data-alert")) as string;
    await critical.locator('input[name="ack-note"]').fill("fan ticket FAC-1142");
    await critical.locator("button[data-ack]").click();
    await page.waitForSelector(`tr[data-alert="${alertId}"][data-acked="yes"]`, { timeout: LONG });
    const acked = (await fleet.ctl.events({ host: sick })).alerts.find((a) => a.id === alertId);
    expect(acked?.ack).toMatchObject({ by: DEMO_USER, note: "fan ticket FAC-1142" });
    await shot("4-alert-acked");

    // the engineer replaces the fan; the page marks the host repaired once it is quarantined
    await page.locator(`[data-host-view="${sick}"][data-state="quarantined"]`).waitFor({ timeout: LONG });
    await fleet.replaceHardware(sick);
    await waitHealthy(fleet.ctl, sick, LONG);
    await page.locator('[data-action="repaired"]').click();
    await page.fill('.modal input[name="note"]', "FAN3 replaced");
    await shot("5-repaired-confirm");
    await page.locator("[data-confirm]").click();
    await page.waitForFunction(
      (host) => document.querySelectorAll(`[data-vms-of="${host}"] [data-vm-host="${host}"]`).length === 5,
      sick,
      { timeout: LONG },
    );
    await shot("6-host-vms-home");
    const audit = (await fleet.ctl.host({ host: sick })).audit;
    expect(audit.find((r) => r.action === "transition" && r.data?.to === "returning")?.actor).toBe(DEMO_USER);

    await page.locator("nav a", { hasText: "fleet" }).click();
    await page.locator(`[data-host="${sick}"][data-state="healthy"]`).waitFor({ timeout: LONG });
    await poll(
      "the tile to count the VMs home",
      async () => (await tile(sick).locator("[data-vms]").getAttribute("data-vms")) === "5",
      LONG,
    );
    await shot("7-fleet-healthy-again");
  }
});
