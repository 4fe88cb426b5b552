/**
 * Gauges rules and boards read, computed from the leader's state on every scrape. Only the leader reports
 * fleet state (a follower's copy may be stale, and two replicas would double every sum); every replica
 * reports presage_leader, so `sum(presage_leader) == 0` means no leader.
 */
import { HostState, type Metrics, Severity } from "@presage/shared";
import { DEFAULT_MIGRATION_BANDWIDTH_MIBPS } from "../balance/cost.js";
import type { LeaderContext } from "../runtime/context.js";

/** states in which a host is being (or waits to be) emptied toward a failure or maintenance deadline */
const EMPTYING = new Set<string>([HostState.Degraded, HostState.Evacuating, HostState.Maintenance]);

type Set = (value: number, labels?: Record<string, string>) => void;
type Gauge = { name: string; help: string; labels?: string[]; collect: (ctx: LeaderContext, set: Set) => void };

const GAUGES: Gauge[] = [
  {
    name: "presage_hosts",
    help: "Hosts by lifecycle state.",
    labels: ["state"],
    collect(ctx, set) {
      const n = new Map<string, number>(Object.values(HostState).map((s) => [s, 0]));
      for (const h of ctx.store.hosts.values()) n.set(h.state, (n.get(h.state) ?? 0) + 1);
      for (const [state, v] of n) set(v, { state });
    },
  },
  {
    name: "presage_host_state_seconds",
    help: "How long each host has been in its current lifecycle state (one series per host, labelled with it).",
    labels: ["host", "state"],
    collect(ctx, set) {
      for (const h of ctx.store.hosts.values())
        set(Math.max(0, ctx.now() - h.since) / 1_000, { host: h.host, state: h.state });
    },
  },
  {
    name: "presage_hosts_agent_lost",
    help: "Hosts whose agent has sent no heartbeat for heartbeat.lostAfterMs (down, or cut off from NATS).",
    collect(ctx, set) {
      let n = 0;
      for (const h of ctx.store.hosts.values()) if (h.lost) n++;
      set(n);
    },
  },
  {
    name: "presage_host_heartbeat_age_seconds",
    help: "Time since each host's agent last sent a heartbeat, as the leader saw it.",
    labels: ["host"],
    collect(ctx, set) {
      for (const h of ctx.store.hosts.values())
        if (h.lastHeartbeat != null) set(Math.max(0, ctx.now() - h.lastHeartbeat) / 1_000, { host: h.host });
    },
  },
  {
    name: "presage_alerts_open",
    help: "Open (not cleared) alerts, by severity.",
    labels: ["severity"],
    collect: (ctx, set) => bySeverity(ctx, set, () => true),
  },
  {
    name: "presage_alerts_unacknowledged",
    help: "Open alerts nobody has acknowledged, by severity.",
    labels: ["severity"],
    collect: (ctx, set) => bySeverity(ctx, set, (a) => a.ack === null),
  },
  {
    name: "presage_alert_unacknowledged_age_seconds",
    help: "Age of the oldest open, unacknowledged alert, by severity (0 when there is none).",
    labels: ["severity"],
    collect(ctx, set) {
      const oldest = new Map<string, number>(Object.values(Severity).map((s) => [s, 0]));
      for (const a of ctx.store.alerts.values())
        if (!a.cleared && a.ack === null)
          oldest.set(a.severity, Math.max(oldest.get(a.severity) ?? 0, (ctx.now() - a.openedAt) / 1_000));
      for (const [severity, v] of oldest) set(v, { severity });
    },
  },
  {
    name: "presage_brake_engaged",
    help: "1 while the safety brake holds hosts back from remediation, else 0.",
    collect: (ctx, set) => set(ctx.brake.engaged ? 1 : 0),
  },
  {
    name: "presage_brake_limit_hosts",
    help: "How many hosts the safety brake lets be in remediation at once.",
    collect: (ctx, set) => set(ctx.brake.limit),
  },
  {
    name: "presage_hosts_in_remediation",
    help: "Hosts being evacuated or waiting for their VMs to leave (what the brake counts).",
    collect: (ctx, set) => set(ctx.brake.inRemediation),
  },
  {
    name: "presage_hosts_waiting",
    help: "Hosts that need remediation but wait for the safety brake.",
    collect: (ctx, set) => set(ctx.brake.waiting.length),
  },
  {
    name: "presage_hosts_held",
    help: "Degraded hosts held back by a common-cause incident (a rack too hot at once), or settling while their room is hot.",
    collect: (ctx, set) => set(ctx.brake.held.length),
  },
  {
    name: "presage_common_cause_incidents",
    help: "Common-cause incidents open now (each one controller alert ctl-cooling-<rack>-<ts>).",
    collect: (ctx, set) => set(ctx.brake.incidents.length),
  },
  {
    name: "presage_migrations_in_flight",
    help: "Migrations queued or running, by purpose.",
    labels: ["purpose"],
    collect(ctx, set) {
      const n = new Map<string, number>([
        ["evacuation", 0],
        ["return", 0],
        ["maintenance", 0],
        ["rebalance", 0],
      ]);
      for (const m of ctx.migrations.inFlight()) n.set(m.purpose, (n.get(m.purpose) ?? 0) + 1);
      for (const [purpose, v] of n) set(v, { purpose });
    },
  },
  {
    name: "presage_evacuation_deadline_slack_seconds",
    help: "For a host being emptied before a predicted failure or maintenance deadline: time to the deadline minus the estimated time to move its remaining VMs (negative = it will not be empty in time).",
    labels: ["host"],
    collect(ctx, set) {
      for (const h of ctx.store.hosts.values()) {
        if (!EMPTYING.has(h.state) || h.predictedFailureAt == null) continue;
        set((h.predictedFailureAt - ctx.now()) / 1_000 - drainSeconds(ctx, h.host), { host: h.host });
      }
    },
  },
];

function bySeverity(ctx: LeaderContext, set: Set, keep: (a: { ack: unknown }) => boolean): void {
  const n = new Map<string, number>(Object.values(Severity).map((s) => [s, 0]));
  for (const a of ctx.store.alerts.values()) if (!a.cleared && keep(a)) n.set(a.severity, (n.get(a.severity) ?? 0) + 1);
  for (const [severity, v] of n) set(v, { severity });
}

/** Memory still on the host over the configured (or default) bandwidth, `concurrency.perSource` at a time. */
function drainSeconds(ctx: LeaderContext, host: string): number {
  const mib = ctx.engineVms.filter((v) => v.host === host).reduce((s, v) => s + v.memoryMiB, 0);
  const bps = ctx.cfg.migration.bandwidthBps;
  const mibps = bps ? bps / 1_048_576 : DEFAULT_MIGRATION_BANDWIDTH_MIBPS;
  return mib / mibps / Math.max(1, ctx.cfg.concurrency.perSource);
}

/** Register the state gauges; `leader` is the acting term's context, null on a follower. */
export function registerStateMetrics(m: Metrics, leader: () => LeaderContext | null): void {
  m.collected({ name: "presage_leader", help: "1 on the replica acting as leader, else 0." }, (set) =>
    set(leader() ? 1 : 0),
  );
  for (const g of GAUGES)
    m.collected(g, (set) => {
      const ctx = leader();
      if (ctx) g.collect(ctx, set);
    });
}
