// pnpm bench:dashboard: the dashboard in the system's Chromium against a controller with 100 and
// 1,000 simulated hosts (10 VMs each). (1) page load: navigation start to every host tile rendered,
// measured in the page (its performance marks), median of 5 fresh page loads; the baseline in the same run is the same data
// through the ops API over NATS (`presage hosts --json`'s request). (2) update latency: a critical
// event published on NATS until its tile's data-state changes in the page, median and worst of 20
// hosts; the baseline is the same event until the controller's audit record of the transition reaches
// a plain NATS subscriber. (3) a burst: a tenth of the fleet turns critical at once, until every tile
// changed (beside: until every audit record arrived). The policy is `monitor`, so no migration runs beside
// the measurement; the page marks when the fleet snapshot arrived and when its tiles rendered.
// Runs on the built dist/ and web/dist; ends with one JSON line.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { controllerConfig } from "../../controller/dist/config.js";
import { createController } from "../../controller/dist/controller.js";
import { startDashboard } from "../../controller/dist/http/server.js";
import { SimEngine } from "../../controller/dist/migration/sim/engine.js";
import { generateFleet } from "../../controller/dist/migration/sim/fleet.js";
import { startOpsService } from "../../controller/dist/ops/service.js";
import {
  connectNats,
  silentLogger,
  startNatsServer,
  subjects,
} from "../../controller/node_modules/@presage/shared/dist/index.js";
// the events module alone: the testing entry also loads vitest
import { criticalFanEvent } from "../../shared/dist/testing/events.js";

const CHROMIUM = process.env.PRESAGE_CHROMIUM || "/usr/bin/chromium";
// PRESAGE_BENCH_SIZES=1000 runs one size
const SIZES = process.env.PRESAGE_BENCH_SIZES ? process.env.PRESAGE_BENCH_SIZES.split(",").map(Number) : [100, 1_000];
const LOADS = 5;
const UPDATES = 20;
/** a screenshot of each fleet size, to look at */
const SHOTS = join(import.meta.dirname, "../.work/bench-dashboard");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const worst = (xs) => Math.max(...xs);
const r1 = (x) => Math.round(x * 10) / 10;

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function system(hosts) {
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url, name: "bench-dashboard" });
  const fleet = generateFleet({ hosts, vmsPerHost: 10, seed: 3 });
  const clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  const engine = new SimEngine({ ...fleet, clock, log: silentLogger });
  const config = controllerConfig({
    nats: { url: nats.url },
    name: "bench-controller",
    leader: { enabled: false, leaseTtlMs: 60_000 },
    policy: { mode: "monitor" },
    http: { listen: "127.0.0.1:0" },
  });
  const ctl = await createController({ nc, engine, config, clock, log: silentLogger });
  await ctl.start();
  const ops = await startOpsService(nc, ctl, { log: silentLogger });
  const dash = await startDashboard({ nc, controller: ctl, http: config.http, log: silentLogger });
  await until("every host record", async () => (await ctl.hosts({})).hosts.length === hosts);
  return {
    nc,
    url: dash.url,
    names: fleet.hosts.map((h) => h.name),
    async stop() {
      await dash.stop();
      await ctl.stop();
      await ops.stop();
      await engine.close();
      await nc.close();
      await nats.stop();
    },
  };
}

/**
 * Page load as the page itself sees it (performance marks the app sets): navigation start to every tile
 * rendered, and on the way the session reply, the stream opening and the fleet snapshot arriving. The
 * automation's own round trips (Playwright noticing the tiles) are not in the figure.
 */
async function loadTimes(browser, sys, hosts) {
  const runs = [];
  for (let i = 0; i < LOADS; i++) {
    const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await p.goto(sys.url);
    await p.waitForFunction((n) => document.querySelectorAll("[data-host]").length === n, hosts, { timeout: 60_000 });
    await p.waitForFunction(() => performance.getEntriesByName("presage:tiles").length > 0);
    runs.push(
      await p.evaluate(() =>
        Object.fromEntries(
          ["session", "stream", "snapshot", "tiles"].map((m) => [
            m,
            performance.getEntriesByName(`presage:${m}`)[0]?.startTime,
          ]),
        ),
      ),
    );
    if (i === LOADS - 1) await p.screenshot({ path: join(SHOTS, `fleet-${hosts}.png`), fullPage: true });
    await p.close();
  }
  const m = (k) => median(runs.map((r) => r[k]));
  const api = [];
  for (let i = 0; i < LOADS; i++) {
    const t = performance.now();
    const r = await sys.nc.request(subjects.ops("hosts"), "{}", { timeout: 10_000 });
    if (r.json().hosts.length !== hosts) throw new Error("the ops API did not list every host");
    api.push(performance.now() - t);
  }
  return {
    pageMs: m("tiles"),
    sessionMs: m("session"),
    streamMs: m("stream"),
    snapshotMs: m("snapshot"),
    renderMs: median(runs.map((r) => r.tiles - r.snapshot)),
    apiMs: median(api),
  };
}

/** A page with every tile, recording when each first leaves "healthy" (by the wall clock the bench reads too). */
async function watchedPage(browser, sys) {
  const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors = [];
  p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await p.goto(sys.url);
  await p.waitForFunction((n) => document.querySelectorAll("[data-host]").length === n, sys.names.length);
  await p.evaluate(() => {
    window.changedAt = {};
    new MutationObserver((muts) => {
      const at = performance.timeOrigin + performance.now();
      for (const m of muts) {
        const host = m.target.getAttribute("data-host");
        if (host && !window.changedAt[host] && m.target.getAttribute("data-state") !== "healthy")
          window.changedAt[host] = at;
      }
    }).observe(document.querySelector(".tiles"), { attributes: true, subtree: true, attributeFilter: ["data-state"] });
  });
  const auditAt = {};
  const sub = sys.nc.subscribe(subjects.allAudit, {
    callback: (_e, m) => {
      const r = m.json();
      if (r.action === "transition" && r.host && !auditAt[r.host]) auditAt[r.host] = Date.now();
    },
  });
  return {
    auditAt,
    changedAt: (host) => p.evaluate((h) => window.changedAt[h], host),
    changedAtAll: (hosts) => p.evaluate((hs) => hs.map((h) => window.changedAt[h]), hosts),
    async close() {
      sub.unsubscribe();
      await p.close();
      if (errors.length) throw new Error(`console errors: ${errors.join("; ")}`);
    },
  };
}

async function publish(sys, host, i) {
  const ack = await sys.nc.request(
    subjects.events(host),
    JSON.stringify(criticalFanEvent(host, Date.now(), { reason: `bench: FAN3 falling (${i})` })),
    { timeout: 10_000 },
  );
  if (!ack.json().stream) throw new Error(`event not stored: ${ack.string()}`);
}

/** One event at a time, on hosts spread over the fleet: each sample is one event's path alone. */
async function updateLatency(browser, sys) {
  const w = await watchedPage(browser, sys);
  const tile = [];
  const audit = [];
  const step = Math.floor(sys.names.length / (2 * UPDATES));
  for (let i = 0; i < UPDATES; i++) {
    const host = sys.names[i * step];
    const sent = Date.now();
    await publish(sys, host, i);
    const at = await until(`${host}'s tile to change`, () => w.changedAt(host));
    await until(`${host}'s audit record`, () => w.auditAt[host]);
    tile.push(at - sent);
    audit.push(w.auditAt[host] - sent);
  }
  await w.close();
  return { tileMs: median(tile), tileWorstMs: worst(tile), auditMs: median(audit), auditWorstMs: worst(audit) };
}

/** A tenth of the fleet turns critical at once (a room-wide event): until every tile changed. */
async function burst(browser, sys) {
  const w = await watchedPage(browser, sys);
  const hosts = sys.names.slice(sys.names.length / 2).filter((_, i) => i % 5 === 0);
  const sent = Date.now();
  await Promise.all(hosts.map((h, i) => publish(sys, h, 1_000 + i)));
  // one page round trip per poll, so the bench process stays free to timestamp the audit records
  const last = await until("every tile of the burst to change", async () => {
    const at = await w.changedAtAll(hosts);
    return at.every(Boolean) ? Math.max(...at) : null;
  });
  await until("every audit record of the burst", () => hosts.every((h) => w.auditAt[h]));
  const lastAudit = Math.max(...hosts.map((h) => w.auditAt[h]));
  await w.close();
  return { burstHosts: hosts.length, burstTileMs: last - sent, burstAuditMs: lastAudit - sent };
}

async function main() {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium or set PRESAGE_CHROMIUM)`);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const out = {};
  try {
    for (const n of SIZES) {
      const sys = await system(n);
      try {
        const load = await loadTimes(browser, sys, n);
        const upd = await updateLatency(browser, sys);
        const b = await burst(browser, sys);
        out[n] = { ...load, ...upd, ...b };
        console.log(
          `${n} hosts: page load ${r1(load.pageMs)} ms (navigation start to every tile rendered, in the page, median of ${LOADS}; the ops API alone ${r1(load.apiMs)} ms); ` +
            `update latency ${r1(upd.tileMs)} ms median, ${r1(upd.tileWorstMs)} ms worst of ${UPDATES} ` +
            `(event published -> tile changed; the audit record alone: ${r1(upd.auditMs)} ms median, ${r1(upd.auditWorstMs)} ms worst); ` +
            `burst of ${b.burstHosts} events: every tile changed after ${r1(b.burstTileMs)} ms (every audit record: ${r1(b.burstAuditMs)} ms); ` +
            `of the load: session at ${r1(load.sessionMs)} ms, stream open at ${r1(load.streamMs)} ms, fleet snapshot at ${r1(load.snapshotMs)} ms, its tiles rendered ${r1(load.renderMs)} ms later`,
        );
      } finally {
        await sys.stop();
      }
    }
  } finally {
    await browser.close();
  }
  const j = {};
  for (const [n, v] of Object.entries(out)) for (const [k, x] of Object.entries(v)) j[`h${n}_${k}`] = r1(x);
  console.log(`screenshots: ${SHOTS}`);
  console.log(JSON.stringify({ bench: "dashboard", ...j }));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench:dashboard: ${e.stack ?? e}`);
    process.exit(1);
  },
);
