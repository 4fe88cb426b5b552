/**
 * The dashboard's other buttons in Chromium, against a real controller in manual mode (simulated
 * hypervisors, agents played by the harness): approve and reject proposed evacuation plans, and put a
 * host into maintenance through its dry-run preview and confirmation, then take it out. Each action
 * must land in the audit trail under the operator who logged in. A console error fails the test.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  controllerConfig,
  createController,
  generateFleet,
  hashToken,
  SimEngine,
  startDashboard,
  startOpsService,
} from "@presage/controller/internal";
import { silentLogger, systemClock } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, noBrowser, openPage } from "./browser.js";
import { criticalFanEvent, heartbeats, publishEvent } from "./harness.js";

const OUT = process.env.PRESAGE_TEST_OUT || join(import.meta.dirname, "../.work/dashboard-actions");
const LONG = 60_000;

describe.skipIf(noBrowser)("dashboard - plan and maintenance buttons in Chromium", () => {
  const env = natsEnv();
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let stop: () => Promise<void>;
  let ctl: Awaited<ReturnType<typeof createController>>;
  let url: string;
  const fleet = generateFleet({ hosts: 8, vmsPerHost: 3, seed: 5, memoryMiB: 262_144 });
  const hosts = fleet.hosts.map((h) => h.name);

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const { nc } = env;
    const engine = new SimEngine({ ...fleet, clock: systemClock, log: silentLogger });
    const config = controllerConfig({
      nats: { url: env.url },
      name: "ctl-actions",
      leader: { enabled: false, leaseTtlMs: 60_000 },
      policy: { mode: "manual" },
      brake: { maxHosts: 5, maxPercent: 100 },
      returns: { gracePeriodMs: 0, waveSize: 4 },
      http: { listen: "127.0.0.1:0", tokens: { oncall: hashToken("oncall-token") } },
    });
    ctl = await createController({ nc, engine, config, log: silentLogger });
    await ctl.start();
    const ops = await startOpsService(nc, ctl, { log: silentLogger });
    const dash = await startDashboard({ nc, controller: ctl, http: config.http, log: silentLogger });
    const beats = heartbeats(nc, hosts, () => "ok");
    url = dash.url;
    stop = async () => {
      beats.stop();
      await dash.stop();
      await ctl.stop();
      await ops.stop();
      await engine.close();
    };
    browser = await launch();
    ({ page, errors } = await openPage(browser));
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  async function logIn(): Promise<void> {
    await page.goto(url);
    await page
      .locator("[data-host]")
      .nth(hosts.length - 1)
      .waitFor();
    await page.locator("[data-login]").click();
    await page.fill('input[name="user"]', "oncall");
    await page.fill('input[name="token"]', "oncall-token");
    await page.locator(".login button[type=submit]").click();
    await page.getByText("log out").waitFor();
  }

  const actorOf = async (host: string, action: string) =>
    (await ctl.audit({ host })).records.find((r) => r.action === action)?.actor;

  it("dashboard - approves one proposed evacuation and rejects another", async () => {
    await logIn();
    const [a, b] = hosts as [string, string];
    await publishEvent(env.nc, criticalFanEvent(a, Date.now()));
    await publishEvent(env.nc, criticalFanEvent(b, Date.now()));
    await page.locator("nav a", { hasText: "alerts" }).click();
    const planOf = (h: string) => page.locator("tr[data-plan]", { hasText: h }).first();
    await planOf(a).locator("[data-approve]").waitFor({ timeout: LONG });
    await planOf(b).locator("[data-reject]").waitFor({ timeout: LONG });
    await shot("1-plans-proposed");
    await planOf(a).locator("[data-approve]").click();
    await planOf(b).locator("[data-reject]").click();
    await page.waitForSelector(`tr[data-plan][data-status="rejected"]`, { timeout: LONG });
    await page.locator("nav a", { hasText: "fleet" }).click();
    await page.locator(`[data-host="${a}"][data-state="quarantined"]`).waitFor({ timeout: LONG });
    await page.locator(`[data-host="${b}"][data-state="suspect"]`).waitFor({ timeout: LONG });
    // the fleet's filters: by state, then by text
    await page.selectOption('select[name="state"]', "quarantined");
    await page.waitForFunction(() => document.querySelectorAll("[data-host]").length === 1);
    expect(await page.locator("[data-host]").getAttribute("data-host")).toBe(a);
    await page.selectOption('select[name="state"]', "");
    await page.fill('input[name="q"]', b);
    await page.waitForFunction(() => document.querySelectorAll("[data-host]").length === 1);
    expect(await page.locator("[data-host]").getAttribute("data-host")).toBe(b);
    await page.fill('input[name="q"]', "");
    await page.selectOption('select[name="rack"]', "r000");
    await page.waitForFunction((n) => document.querySelectorAll("[data-host]").length === n, hosts.length);
    expect(await actorOf(a, "plan.approve")).toBe("oncall");
    expect(await actorOf(b, "plan.reject")).toBe("oncall");
    await shot("2-approved-and-rejected");
    // the audit trail, filtered to what the operator did
    await page.locator("nav a", { hasText: "audit" }).click();
    await page.fill('input[name="audit-actor"]', "oncall");
    await page.waitForSelector('tr[data-audit="plan.reject"]', { timeout: LONG });
    const rows = await page
      .locator("tr[data-audit]")
      .evaluateAll((trs) => trs.map((r) => [r.getAttribute("data-audit"), r.children[3]?.textContent]));
    // the approval, the rejection and the state change the rejection made, all under the login
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(["plan.approve", "plan.reject", "transition"]));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(["oncall"]));
    await page.fill('input[name="audit-action"]', "plan.app");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-audit]").length === 1);
    await shot("2b-audit-filtered");
    expect(errors).toEqual([]);
  });

  it("dashboard - maintenance: the dry run lists the moves, the confirmation starts it, exit ends it", async () => {
    const host = hosts[5] as string;
    await page.locator("nav a", { hasText: "fleet" }).click();
    await page.locator(`[data-host="${host}"]`).click();
    await page.locator(`[data-host-view="${host}"]`).waitFor();
    await page.locator('[data-action="maintenance-enter"]').click();
    const preview = page.locator("[data-preview]");
    await preview.waitFor();
    const here = (await ctl.host({ host })).vms.filter((v) => v.host === host).length;
    expect(await preview.textContent()).toContain(`dry run: ${here} VM(s) move off ${host}`);
    // a dry run changes nothing
    expect((await ctl.hosts({})).hosts.find((h) => h.host === host)?.state).toBe("healthy");
    await page.fill('.modal input[name="note"]', "BIOS update");
    await shot("3-maintenance-preview");
    await page.locator("[data-confirm]").click();
    await page.locator(`[data-host-view="${host}"][data-state="maintenance"]`).waitFor({ timeout: LONG });
    await page.waitForFunction(
      (h) => document.querySelectorAll(`[data-vms-of="${h}"] [data-vm-host="${h}"]`).length === 0,
      host,
      { timeout: LONG },
    );
    expect(await actorOf(host, "maintenance.enter")).toBe("oncall");
    await page.locator('[data-action="maintenance-exit"]').click();
    await page.locator("[data-confirm]").click();
    await page
      .locator(`[data-host-view="${host}"][data-state="returning"], [data-host-view="${host}"][data-state="healthy"]`)
      .first()
      .waitFor({ timeout: LONG });
    await page.waitForFunction(
      ([h, n]) =>
        document.querySelectorAll(`[data-vms-of="${h}"] [data-vm-host="${h}"][data-vm-home="${h}"]`).length === n,
      [host, fleet.vms.filter((v) => v.host === host).length] as const,
      { timeout: LONG },
    );
    await shot("4-maintenance-over");
    expect(errors).toEqual([]);
  });
});
