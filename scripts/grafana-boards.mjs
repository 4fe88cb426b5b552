#!/usr/bin/env node
/**
 * Writes the Grafana boards in deploy/grafana/ (fleet, host, controller) from the panel lists below, so units,
 * the $datasource and $host variables and the layout stay consistent: `node scripts/grafana-boards.mjs`.
 * test/deploy/grafana-boards.test.ts checks the files hold this script's boards (run `pnpm format` after it);
 * test/e2e/observability.test.ts runs every panel's query against a real Prometheus scraping a running fleet.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const ds = { type: "prometheus", uid: "${datasource}" };
const H = '{host=~"$host"}';

/** one panel: [title, unit, expr or [expr, legend][], type?] */
const boards = {
  "presage-fleet": {
    title: "Presage: fleet",
    hostVar: false,
    panels: [
      ["Hosts by state", "none", [["sum by (state) (presage_hosts)", "{{state}}"]], "bargauge"],
      ["Open alerts by severity", "none", [["sum by (severity) (presage_alerts_open)", "{{severity}}"]], "bargauge"],
      [
        "Unacknowledged alerts",
        "none",
        [["sum by (severity) (presage_alerts_unacknowledged)", "{{severity}}"]],
        "stat",
      ],
      [
        "Oldest unacknowledged alert",
        "s",
        [["max by (severity) (presage_alert_unacknowledged_age_seconds)", "{{severity}}"]],
        "stat",
      ],
      ["Safety brake engaged", "bool_yes_no", [["max(presage_brake_engaged)", "engaged"]], "stat"],
      [
        "Hosts waiting for the brake",
        "none",
        [
          ["max(presage_hosts_waiting)", "waiting"],
          ["max(presage_brake_limit_hosts)", "limit"],
        ],
        "stat",
      ],
      ["Migrations in flight", "none", [["sum by (purpose) (presage_migrations_in_flight)", "{{purpose}}"]]],
      [
        "Agents and BMCs answering",
        "none",
        [
          ['sum(up{job="presage-agent"})', "agents up"],
          ["sum(ipmi_up)", "sources up"],
          ["count(ipmi_up == 0) or vector(0)", "sources down"],
          ["max(presage_hosts_agent_lost)", "hosts without heartbeats"],
        ],
      ],
      ["Open detector conditions", "none", [["sum by (severity) (presage_detector_episodes_open)", "{{severity}}"]]],
      [
        "Soonest predicted failures",
        "s",
        [["bottomk(10, presage_sensor_predicted_failure_seconds)", "{{host}} {{sensor}}"]],
        "table",
      ],
      ["Hottest sensors", "celsius", [["topk(10, ipmi_temperature_celsius)", "{{host}} {{name}}"]]],
      [
        "Events received (per second)",
        "ops",
        [["sum by (severity) (rate(presage_events_total[$__rate_interval]))", "{{severity}}"]],
      ],
    ],
  },
  "presage-host": {
    title: "Presage: host",
    hostVar: true,
    panels: [
      ["Lifecycle state", "s", [[`presage_host_state_seconds${H}`, "{{state}}"]], "stat"],
      ["Open detector conditions", "none", [[`presage_detector_episodes_open${H}`, "{{severity}}"]], "bargauge"],
      ["Fan speeds", "rotrpm", [[`ipmi_fan_speed_rpm${H}`, "{{name}}"]]],
      ["Temperatures", "celsius", [[`ipmi_temperature_celsius${H}`, "{{name}}"]]],
      ["Voltages", "volt", [[`ipmi_voltage_volts${H}`, "{{name}}"]]],
      ["Power", "watt", [[`ipmi_power_watts${H}`, "{{name}}"]]],
      [
        "Sensor states (0 ok, 1 warning, 2 critical)",
        "none",
        [[`max by (name) ({__name__=~"ipmi_.+_state",host=~"$host"})`, "{{name}}"]],
      ],
      ["Detector score per sensor (1 = just significant)", "none", [[`presage_sensor_score${H}`, "{{sensor}}"]]],
      ["Detector residual per sensor", "none", [[`presage_sensor_residual${H}`, "{{sensor}}"]]],
      ["Predicted time to failure", "s", [[`presage_sensor_predicted_failure_seconds${H}`, "{{sensor}}"]]],
      ["BMC answering", "bool_yes_no", [[`ipmi_up${H}`, "{{collector}}"]], "stat"],
      ["BMC read time", "s", [[`ipmi_scrape_duration_seconds${H}`, "read"]]],
    ],
  },
  "presage-controller": {
    title: "Presage: controller",
    hostVar: false,
    panels: [
      ["Leader", "none", [['presage_leader{job="presage-controller"}', "{{instance}}"]], "stat"],
      [
        "Reconcile pass duration",
        "s",
        [
          [
            "histogram_quantile(0.5, sum by (le) (rate(presage_reconcile_duration_seconds_bucket[$__rate_interval])))",
            "p50",
          ],
          [
            "histogram_quantile(0.99, sum by (le) (rate(presage_reconcile_duration_seconds_bucket[$__rate_interval])))",
            "p99",
          ],
        ],
      ],
      [
        "Migrations finished (per hour)",
        "none",
        [["sum by (purpose, status) (increase(presage_migrations_total[1h]))", "{{purpose}} {{status}}"]],
      ],
      [
        "Migration duration (p95)",
        "s",
        [
          [
            "histogram_quantile(0.95, sum by (le, purpose) (rate(presage_migration_duration_seconds_bucket[1h])))",
            "{{purpose}}",
          ],
        ],
      ],
      [
        "Migration traffic",
        "binBps",
        [["sum by (purpose) (rate(presage_migration_bytes_total[$__rate_interval]))", "{{purpose}}"]],
      ],
      ["Evacuation deadline slack", "s", [["presage_evacuation_deadline_slack_seconds", "{{host}}"]]],
      [
        "Host lifecycle transitions (per hour)",
        "none",
        [["sum by (to) (increase(presage_transitions_total[1h]))", "{{to}}"]],
      ],
      [
        "Events received",
        "ops",
        [["sum by (severity) (rate(presage_events_total[$__rate_interval]))", "{{severity}}"]],
      ],
      [
        "Operator requests",
        "reqps",
        [["sum by (endpoint) (rate(presage_ops_requests_total[$__rate_interval])) or vector(0)", "{{endpoint}}"]],
      ],
      [
        "Malformed messages dropped",
        "ops",
        [["sum by (subject) (rate(presage_invalid_messages_total[$__rate_interval])) or vector(0)", "{{subject}}"]],
      ],
      [
        "Alertmanager pushes",
        "ops",
        [["sum by (result) (rate(presage_alertmanager_pushes_total[$__rate_interval]))", "{{result}}"]],
      ],
      [
        "Agent poll duration (p95)",
        "s",
        [
          [
            "histogram_quantile(0.95, sum by (le, source) (rate(presage_agent_poll_duration_seconds_bucket[$__rate_interval])))",
            "{{source}}",
          ],
        ],
      ],
      ["Resident memory", "bytes", [['process_resident_memory_bytes{job=~"presage-.*"}', "{{job}} {{instance}}"]]],
      [
        "CPU",
        "percentunit",
        [['rate(process_cpu_seconds_total{job=~"presage-.*"}[$__rate_interval])', "{{job}} {{instance}}"]],
      ],
      ["Event loop lag (p99)", "s", [['nodejs_eventloop_lag_p99_seconds{job=~"presage-.*"}', "{{job}} {{instance}}"]]],
    ],
  },
};

function panel([title, unit, queries, type = "timeseries"], i) {
  const w = 8;
  return {
    id: i + 1,
    type,
    title,
    gridPos: { x: (i % 3) * w, y: Math.floor(i / 3) * 8, w, h: 8 },
    datasource: ds,
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: type === "timeseries" ? { legend: { displayMode: "list", placement: "bottom" } } : {},
    targets: queries.map(([expr, legendFormat], j) => ({
      datasource: ds,
      expr,
      legendFormat,
      refId: String.fromCharCode(65 + j),
      ...(type === "table" ? { instant: true, format: "table" } : {}),
    })),
  };
}

function board(uid, b) {
  const list = [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus" }];
  if (b.hostVar)
    list.push({
      name: "host",
      label: "Host",
      type: "query",
      datasource: ds,
      query: { query: "label_values(ipmi_up, host)", refId: "host" },
      definition: "label_values(ipmi_up, host)",
      refresh: 2,
      includeAll: true,
      multi: true,
      current: {},
    });
  return {
    title: b.title,
    uid,
    tags: ["presage"],
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: { list },
    panels: b.panels.map(panel),
  };
}

/** The boards as file name -> JSON text. */
export function renderBoards() {
  return Object.fromEntries(
    Object.entries(boards).map(([uid, b]) => [`${uid}.json`, `${JSON.stringify(board(uid, b), null, 2)}\n`]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = join(import.meta.dirname, "../deploy/grafana");
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(renderBoards())) writeFileSync(join(dir, file), text);
}
