/** Human-readable output of each operator reply (the --json output is the reply itself). */
import type {
  Alert,
  AuditRecord,
  HostRecord,
  HostSummary,
  MigrationRecord,
  OpsReplies,
  Plan,
  SensorEvent,
} from "@presage/shared";
import {
  ago,
  colourOf,
  duration,
  iso,
  mib,
  num,
  paint,
  pct,
  type Style,
  sparkline,
  table,
  truncate,
} from "./format.js";

export type View = { style: Style; now: number };

const state = (v: View, s: string) => paint(v.style, colourOf(s), s);
const orNone = (text: string, none: string) => text || none;

export function hostsTable(v: View, hosts: HostSummary[]): string {
  const rows = hosts.map((h) => [
    h.host,
    state(v, h.state),
    ago(h.since, v.now),
    String(h.vmCount),
    `${num(h.cpuUsed)}/${num(h.cpuCapacity)} (${pct(h.cpuUsed, h.cpuCapacity)})`,
    `${mib(h.memoryUsedMiB)}/${mib(h.memoryCapacityMiB)} (${pct(h.memoryUsedMiB, h.memoryCapacityMiB)})`,
    h.openAlerts ? paint(v.style, "yellow", String(h.openAlerts)) : "0",
    h.lost ? paint(v.style, "red", `agent lost; ${h.reason}`) : h.waiting ? `${h.reason}; ${h.waiting}` : h.reason,
  ]);
  return orNone(
    table(v.style, ["HOST", "STATE", "SINCE", "VMS", "VCPU", "MEMORY", "ALERTS", "REASON"], rows),
    "no hosts",
  );
}

function alertsTable(v: View, alerts: Alert[]): string {
  const rows = alerts.map((a) => [
    a.id,
    a.host,
    state(v, a.severity),
    a.component,
    a.sensor ?? "-",
    ago(a.openedAt, v.now),
    a.cleared ? "cleared" : "open",
    a.ack ? `${a.ack.by} ${ago(a.ack.at, v.now)}` : paint(v.style, "yellow", "no"),
    a.escalations ? `${a.reason} (escalated ${a.escalations}x)` : a.reason,
  ]);
  return table(v.style, ["ID", "HOST", "SEVERITY", "COMPONENT", "SENSOR", "OPENED", "STATE", "ACKED", "REASON"], rows);
}

function eventsTable(v: View, events: SensorEvent[]): string {
  const rows = events.map((e) => [
    iso(e.ts),
    e.host,
    state(v, e.severity),
    e.kind,
    e.component,
    e.sensor ?? "-",
    e.predictedFailureAt ? ago(e.predictedFailureAt, v.now) : "-",
    e.reason,
  ]);
  return table(v.style, ["TIME", "HOST", "SEVERITY", "KIND", "COMPONENT", "SENSOR", "FAILS", "REASON"], rows);
}

function auditTable(v: View, audit: AuditRecord[]): string {
  const rows = audit.map((a) => [iso(a.ts), a.action, a.actor, a.vm ?? "", a.detail]);
  return table(v.style, ["TIME", "ACTION", "ACTOR", "VM", "DETAIL"], rows);
}

export function migrationsTable(v: View, list: MigrationRecord[]): string {
  const rows = list.map((m) => [
    m.id,
    m.vm,
    m.from,
    m.to,
    m.purpose,
    state(v, m.status),
    `${Math.round(m.progress * 100)}%`,
    ago(m.startedAt, v.now),
    m.startedAt ? duration((m.finishedAt ?? v.now) - m.startedAt) : "-",
    m.error ?? "",
  ]);
  return orNone(
    table(v.style, ["ID", "VM", "FROM", "TO", "PURPOSE", "STATUS", "PROGRESS", "STARTED", "TOOK", "ERROR"], rows),
    "no migrations",
  );
}

function movesTable(v: View, p: Plan): string {
  const moves = table(
    v.style,
    ["VM", "FROM", "TO", "MEMORY"],
    p.moves.map((m) => [m.vm, m.from, m.to, mib(m.memoryMiB)]),
  );
  // a rebalance leaves VMs where they are on purpose: that is no failure to place them
  const unplaced = p.unplaced.map((u) =>
    p.kind === "rebalance"
      ? `left alone ${u.vm}: ${u.reason}`
      : paint(v.style, "red", `cannot place ${u.vm}: ${u.reason}`),
  );
  return [moves || "no moves", ...unplaced].join("\n");
}

function planLine(v: View, p: Plan): string {
  const imb =
    p.imbalanceBefore != null && p.imbalanceAfter != null
      ? `, imbalance ${p.imbalanceBefore.toFixed(3)} -> ${p.imbalanceAfter.toFixed(3)}`
      : "";
  return `plan ${p.id} (${p.kind}${p.host ? ` of ${p.host}` : ""}) is ${state(v, p.status)}: ${p.moves.length} move(s), ${p.unplaced.length} ${p.kind === "rebalance" ? "left alone" : "unplaced"}${imb}; ${p.reason}`;
}

export function plansTable(v: View, plans: Plan[]): string {
  const rows = plans.map((p) => [
    p.id,
    p.kind,
    p.host ?? "-",
    state(v, p.status),
    String(p.moves.length),
    String(p.unplaced.length),
    ago(p.createdAt, v.now),
    p.reason,
  ]);
  return orNone(
    table(v.style, ["ID", "KIND", "HOST", "STATUS", "MOVES", "UNPLACED", "CREATED", "REASON"], rows),
    "no plans",
  );
}

export function hostDetail(v: View, d: OpsReplies["host"]): string {
  const h = d.host;
  const out: string[] = [];
  out.push(`${paint(v.style, "bold", h.host)}  ${state(v, h.state)} since ${ago(h.since, v.now)} (${iso(h.since)})`);
  if (h.reason) out.push(`reason:   ${h.reason}`);
  if (h.maintenance)
    out.push(
      `maintenance: ${h.maintenance.reason} by ${h.maintenance.by}${h.maintenance.deadline ? `, deadline ${iso(h.maintenance.deadline)}` : ""}`,
    );
  const hb = d.health;
  out.push(
    hb
      ? `health:   ${state(v, hb.status === "ok" ? "healthy" : hb.status)} (heartbeat ${ago(hb.ts, v.now)})${hb.conditions.length ? `: ${hb.conditions.join("; ")}` : ""}`
      : "health:   no heartbeat yet",
  );
  if (h.lost) out.push(paint(v.style, "red", "agent:    lost (heartbeats stopped)"));
  out.push(
    `capacity: vcpu ${num(h.cpuUsed)}/${num(h.cpuCapacity)} (${pct(h.cpuUsed, h.cpuCapacity)}), memory ${mib(h.memoryUsedMiB)}/${mib(h.memoryCapacityMiB)} (${pct(h.memoryUsedMiB, h.memoryCapacityMiB)})`,
  );
  const section = (title: string, body: string, none: string) =>
    out.push("", paint(v.style, "bold", title), body || none);
  const here = d.vms.filter((m) => m.host === h.host).length;
  const away = d.vms.filter((m) => m.home === h.host && m.host !== h.host).length;
  section(
    `VMS (${here} here${away ? `, ${away} away from home` : ""})`,
    table(
      v.style,
      ["VM", "HOST", "HOME", "MEMORY", "VCPUS"],
      d.vms.map((m) => [
        m.id,
        m.host,
        m.home === m.host ? m.home : paint(v.style, "cyan", m.home),
        mib(m.memoryMiB),
        String(m.vcpus),
      ]),
    ),
    "none",
  );
  section(`ALERTS (${d.alerts.length})`, alertsTable(v, d.alerts), "none");
  const sensorRows = d.readings.map((r) => [
    r.sensor,
    r.type,
    r.value === null ? "n/a" : `${r.value} ${r.unit}`,
    r.status ? paint(v.style, r.status === "ok" ? null : "yellow", r.status) : "",
    sparkline(d.history[r.sensor] ?? []),
  ]);
  section("SENSORS", table(v.style, ["SENSOR", "TYPE", "VALUE", "STATUS", "TREND"], sensorRows), "no readings yet");
  section("HISTORY", auditTable(v, d.audit), "no recorded decisions");
  return out.join("\n");
}

export function eventsView(v: View, d: OpsReplies["events"]): string {
  const parts: string[] = [];
  if (d.alerts.length) parts.push(alertsTable(v, d.alerts));
  if (d.events.length)
    parts.push(`${parts.length ? "\n" : ""}${paint(v.style, "bold", "EVENTS")}`, eventsTable(v, d.events));
  return parts.join("\n") || "no alerts or events match";
}

export function ackView(v: View, d: OpsReplies["ack"]): string {
  return [
    `acknowledged ${d.acked.length} alert(s)`,
    ...d.acked.map(
      (a) =>
        `  ${a.id}  ${a.host}  ${state(v, a.severity)} ${a.component}${a.sensor ? ` ${a.sensor}` : ""}: ${truncate(a.reason, 100)}`,
    ),
  ].join("\n");
}

export function hostStates(v: View, hosts: HostRecord[]): string {
  return hosts.map((h) => `${h.host} is now ${state(v, h.state)}${h.reason ? `: ${h.reason}` : ""}`).join("\n");
}

export function repairedView(v: View, d: OpsReplies["repaired"]): string {
  return `${hostStates(v, [d.host])}\nits VMs go back home once its agent reports healthy again`;
}

export function maintenanceEnterView(v: View, d: OpsReplies["maintenance-enter"], dryRun: boolean): string {
  const out: string[] = [];
  if (dryRun) out.push(paint(v.style, "yellow", "dry run: nothing was changed"));
  else out.push(hostStates(v, d.hosts));
  if (d.scheduledAt) out.push(`scheduled for ${iso(d.scheduledAt)} (${ago(d.scheduledAt, v.now)})`);
  if (!dryRun && d.waiting?.length)
    out.push(paint(v.style, "yellow", `waiting for the safety brake, in this order: ${d.waiting.join(", ")}`));
  // the plans of one request share the drain estimate and brake order: print it once
  const details = [...new Set(d.plans.flatMap((p) => p.details ?? []))];
  if (details.length) out.push("", ...details);
  for (const p of d.plans) out.push("", planLine(v, p), movesTable(v, p));
  return out.join("\n");
}

export function planView(v: View, p: Plan): string {
  return [planLine(v, p), ...(p.details ?? []), movesTable(v, p)].join("\n");
}

export function rebalanceView(v: View, d: OpsReplies["rebalance"]): string {
  const head = d.applied ? "rebalance started" : paint(v.style, "yellow", "dry run: nothing was moved");
  return [head, planView(v, d.plan)].join("\n");
}

export function statusView(v: View, d: OpsReplies["status"]): string {
  const states = Object.entries(d.hostsByState)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${state(v, s)} ${n}`)
    .join(", ");
  const b = d.brake;
  return [
    `controller: ${d.controller} (${d.leader ? "leader" : "standby"}, mode ${d.mode})`,
    `hosts:      ${states || "none"}`,
    `vms:        ${d.vms}`,
    `migrations: ${d.activeMigrations} active`,
    `brake:      ${b.engaged ? paint(v.style, "red", "ENGAGED") : "released"} (${b.inRemediation}/${b.limit} hosts in remediation${b.waiting.length ? `; waiting: ${b.waiting.join(", ")}` : ""}${b.held?.length ? `; held: ${b.held.join(", ")}` : ""})`,
    ...(b.incidents ?? []).map(
      (i) =>
        `incident:   ${paint(v.style, i.acked ? "yellow" : "red", i.id)} ${i.hosts.length} host(s) of ${i.scope} too hot at once (${i.hosts.join(", ")})${i.acked ? ", acknowledged: released under the brake" : `; held until the room is back or \`presage ack ${i.id}\``}`,
    ),
  ].join("\n");
}
