/**
 * Observability with the real things (issue 15): Debian's prometheus and prometheus-alertmanager on random
 * loopback ports scrape a built rack agent (six simulated BMCs) and a built controller (a demo-sized simulated
 * fleet: 6 hosts, 30 VMs). Both scrapes pass `promtool check metrics`; a stopped fan drives its host critical;
 * the alert reaches Alertmanager and the webhook receiver; `presage ack` makes a matching silence; a silence made
 * in Alertmanager acknowledges a Presage alert (actor recorded); a cleared alert is resolved; and every Grafana
 * panel's query runs against this Prometheus. Deadlines are generous and wait for conditions, never for speed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alert } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { renderBoards } from "../../scripts/grafana-boards.mjs";
import { criticalFanEvent, poll, publishEvent } from "./harness.js";
import {
  AGENT_BIN,
  CONTROLLER_BIN,
  cli,
  metricsAddress,
  type Proc,
  promtoolCheck,
  query,
  start,
  startAlertmanager,
  startPrometheus,
  type Webhook,
  webhook,
} from "./observability-harness.js";

const HOSTS = Array.from({ length: 6 }, (_, i) => `host-000${i}`);
const SICK = "host-0002";
const OTHER = "host-0004";
const THIRD = "host-0005";
/** panels that show data only while something is predicted to fail or a host races a deadline */
const EVENT_ONLY = new Map([
  ["Soonest predicted failures", "presage_sensor_predicted_failure_seconds"],
  ["Predicted time to failure", "presage_sensor_predicted_failure_seconds"],
  ["Evacuation deadline slack", "presage_evacuation_deadline_slack_seconds"],
]);

type AmAlert = { labels: Record<string, string>; status: { state: string } };
type AmSilence = {
  id: string;
  createdBy: string;
  matchers: { name: string; value: string }[];
  status: { state: string };
};

describe("observability - Prometheus, Alertmanager and Grafana queries against a running fleet", () => {
  const env = natsEnv();
  const dir = mkdtempSync(join(tmpdir(), "presage-obs-"));
  const procs: Proc[] = [];
  let hook: Webhook;
  let am: string;
  let prom: string;
  const scrapes = { agent: "", controller: "" };
  const amAlerts = async () => (await (await fetch(`${am}/api/v2/alerts`)).json()) as AmAlert[];
  const slow = <T>(what: string, fn: () => T | Promise<T>) => poll(what, fn, 180_000, 500);

  beforeAll(async () => {
    hook = await webhook();
    const a = await startAlertmanager(dir, hook.url);
    procs.push(a.proc);
    am = a.url;
    const ctl = startController(env.url, am);
    const agent = startAgent(env.url);
    procs.push(ctl, agent);
    const targets = { agent: await metricsAddress(agent), controller: await metricsAddress(ctl) };
    const p = await startPrometheus(dir, targets, am);
    procs.push(p.proc);
    prom = p.url;
    await slow("both targets up", async () => (await query(prom, "up == 1")).length === 2);
    scrapes.agent = await (await fetch(`http://${targets.agent}/metrics?x=1`)).text();
    scrapes.controller = await (await fetch(`http://${targets.controller}/metrics`)).text();
  }, 300_000);

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    hook?.close();
    if (!process.env.PRESAGE_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("observability - both scrapes pass promtool, carry build info, process metrics and ipmi_exporter's families", async () => {
    expect(await promtoolCheck(scrapes.agent)).toBe("");
    expect(await promtoolCheck(scrapes.controller)).toBe("");
    for (const text of Object.values(scrapes)) {
      expect(text).toMatch(/^presage_build_info\{version="[^"]+",component="(agent|controller)"/m);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect(text).toMatch(/^process_resident_memory_bytes /m);
    }
    const series = (family: string, rest: string) =>
      expect(scrapes.agent).toMatch(new RegExp(`^${family}\\{host="${SICK}",${rest}`, "m"));
    series("ipmi_fan_speed_rpm", 'id="\\d+",name="[^"]+"\\} \\d+');
    series("ipmi_temperature_celsius", 'id="\\d+",name="[^"]+"\\} ');
    series("ipmi_up", 'collector="[^"]+"\\} 1$');
    await slow(
      "6 healthy hosts",
      async () => (await query(prom, 'presage_hosts{state="healthy"}'))[0]?.value[1] === "6",
    );
    // a healthy fleet trips none of the health rules, not even as pending (once the evaluations made before the
    // first scrapes have passed), and stays so
    const health = 'ALERTS{alertname=~"PresageAgentDown|PresageNoLeader|PresageControllerDown|PresageBmcUnreachable"}';
    await slow("no health rule pending", async () => (await query(prom, health)).length === 0);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await query(prom, health)).toEqual([]);
  }, 300_000);

  let critical: AmAlert;
  it("observability - a stopped fan: its host's critical alert reaches Alertmanager and the webhook; VMs move", async () => {
    critical = await slow(
      "the critical alert in Alertmanager",
      async () => (await amAlerts()).find((a) => a.labels.host === SICK && a.labels.severity === "critical") ?? null,
    );
    expect(critical.labels).toMatchObject({ alertname: "PresageHardwareAlert", component: "fan" });
    expect(critical.labels.sensor).toMatch(/\w/);
    await slow("the webhook got it", () => hook.received.find((a) => a.labels.host === SICK && a.status === "firing"));
    await slow("evacuation migrations completed", async () => {
      const r = await query(prom, 'sum(presage_migrations_total{purpose="evacuation",status="completed"})');
      return Number(r[0]?.value[1] ?? 0) >= 1;
    });
  }, 300_000);

  it("observability - `presage ack` makes a silence on that alert, by the acker; Alertmanager suppresses it", async () => {
    const id = critical.labels.presage_alert_id as string;
    await cli(env.url, ["ack", id, "--note", "fan ordered"]);
    const acked = await presageAlert(env.url, SICK, id);
    expect(acked.ack?.note).toBe("fan ordered");
    const silence = await slow("the silence for the ack", async () => {
      const got = (await (await fetch(`${am}/api/v2/silences`)).json()) as AmSilence[];
      return got.find((s) => s.status.state === "active" && s.matchers.some((m) => m.value === id)) ?? null;
    });
    expect(silence.createdBy).toBe(acked.ack?.by);
    await slow(
      "suppressed",
      async () => (await amAlerts()).find((a) => a.labels.presage_alert_id === id)?.status.state === "suppressed",
    );
  }, 300_000);

  it("observability - a silence made in Alertmanager acknowledges the Presage alert it matches, naming who", async () => {
    const warning = criticalFanEvent(OTHER, Date.now(), { severity: "warning", reason: "FAN1 slower than its bank" });
    await publishEvent(env.nc, warning);
    await slow("the warning in Alertmanager", async () =>
      (await amAlerts()).some((a) => a.labels.presage_alert_id === warning.id),
    );
    const now = Date.now();
    const made = await fetch(`${am}/api/v2/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: [{ name: "host", value: OTHER, isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: "jane",
        comment: "looking at it",
      }),
    });
    expect(made.ok).toBe(true);
    const byAm = await slow("acknowledged from Alertmanager", async () => {
      const a = await presageAlert(env.url, OTHER, warning.id);
      return a.ack ? a : null;
    });
    expect(byAm.ack?.by).toBe("alertmanager:jane");
    expect(byAm.ack?.note).toMatch(/looking at it/);
  }, 300_000);

  it("observability - cleared in Presage: resolved at Alertmanager and the webhook", async () => {
    // an unsilenced alert: Alertmanager tells receivers nothing about silenced ones
    const third = criticalFanEvent(THIRD, Date.now(), { severity: "warning", reason: "FAN2 slower than its bank" });
    await publishEvent(env.nc, third);
    await slow("the third alert at the webhook", () =>
      hook.received.find((a) => a.labels.presage_alert_id === third.id),
    );
    await publishEvent(env.nc, { ...third, id: `${third.id}-clr`, ts: Date.now(), severity: "info", kind: "cleared" });
    const resolved = () => hook.received.find((a) => a.labels.presage_alert_id === third.id && a.status === "resolved");
    await slow("the webhook got the resolution", resolved);
    await slow(
      "resolved in Alertmanager",
      async () => !(await amAlerts()).some((a) => a.labels.presage_alert_id === third.id),
    );
  }, 300_000);

  it("observability - every Grafana panel's query has data here, or (event-only panels) its family is scraped", async () => {
    await slow(
      "reconcile passes observed",
      async () => (await query(prom, "presage_reconcile_duration_seconds_count > 1")).length > 0,
    );
    const empty: string[] = [];
    for (const [file, text] of Object.entries(renderBoards() as Record<string, string>))
      for (const p of (JSON.parse(text) as { panels: { title: string; targets: { expr: string }[] }[] }).panels)
        for (const t of p.targets) {
          const expr = t.expr.replaceAll("$host", ".+").replaceAll("$__rate_interval", "1m");
          if ((await query(prom, expr)).length) continue;
          const family = EVENT_ONLY.get(p.title);
          if (family)
            expect(`${scrapes.agent}${scrapes.controller}`, `${file}: ${p.title}`).toContain(`# TYPE ${family} gauge`);
          else empty.push(`${file}: ${p.title}: ${expr}`);
        }
    expect(empty).toEqual([]);
    // figures for the report: scrape sizes and how long Prometheus took to scrape each
    const took = await query(prom, "scrape_duration_seconds");
    const samples = await query(prom, "scrape_samples_scraped");
    console.log(
      JSON.stringify({
        agentScrapeBytes: scrapes.agent.length,
        controllerScrapeBytes: scrapes.controller.length,
        scrapeSeconds: Object.fromEntries(took.map((s) => [s.metric.job, Number(s.value[1])])),
        samples: Object.fromEntries(samples.map((s) => [s.metric.job, Number(s.value[1])])),
      }),
    );
  }, 300_000);

  function startController(natsUrl: string, amUrl: string): Proc {
    const file = join(dir, "controller.json");
    writeFileSync(
      file,
      JSON.stringify({
        nats: { url: natsUrl },
        name: "ctl-obs",
        engine: { kind: "sim", sim: { hosts: HOSTS.length, vmsPerHost: 5, seed: 3 } },
        reconcile: { intervalMs: 1_000 },
        returns: { gracePeriodMs: 3_600_000 },
        metrics: { listen: "127.0.0.1:0" },
        alertmanager: { url: amUrl, intervalMs: 1_000 },
      }),
    );
    return start(process.execPath, [CONTROLLER_BIN, "run", "--config", file], join(dir, "controller.log"));
  }

  function startAgent(natsUrl: string): Proc {
    const file = join(dir, "agent.json");
    const stopAt = Date.now() + 20_000;
    writeFileSync(
      file,
      JSON.stringify({
        host: HOSTS[0],
        nats: { url: natsUrl },
        pollIntervalMs: 1_000,
        heartbeatIntervalMs: 1_000,
        // short buckets, so the detector has judged some by the time the boards are queried
        detect: { profile: "lab", bucketMs: 1_000, learnBuckets: 3 },
        metrics: { listen: "127.0.0.1:0" },
        sources: HOSTS.map((host, i) => ({
          kind: "simulated",
          host,
          seed: i + 1,
          faults: host === SICK ? [{ kind: "fan-stop", fan: 2, start: stopAt }] : [],
        })),
      }),
    );
    return start(process.execPath, [AGENT_BIN, "run", "--config", file], join(dir, "agent.log"));
  }
});

async function presageAlert(natsUrl: string, host: string, id: string): Promise<Alert> {
  const out = JSON.parse(await cli(natsUrl, ["events", "--host", host, "--json"])) as { alerts: Alert[] };
  const a = out.alerts.find((x) => x.id === id);
  if (!a) throw new Error(`no alert ${id} on ${host}: ${JSON.stringify(out.alerts.map((x) => x.id))}`);
  return a;
}
