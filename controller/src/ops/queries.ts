/** The read-only ops handlers: they read the leader's state and never change it. */
import type { OpsReplies } from "@presage/shared";
import { BRAKE_IDLE } from "../brake.js";
import { vmCpu } from "../placement/capacity.js";
import { returnWait } from "../return-wait.js";
import type { LeaderContext, ReplicaDeps } from "../runtime/context.js";
import { fleetView } from "../runtime/observe.js";

type HostSummary = OpsReplies["hosts"]["hosts"][number];

export function summaries(ctx: LeaderContext): Map<string, HostSummary> {
  const out = new Map<string, HostSummary>();
  for (const rec of ctx.store.hosts.values()) {
    const h = ctx.engineHosts.get(rec.host);
    out.set(rec.host, {
      ...rec,
      vmCount: 0,
      cpuCapacity: h?.cpuCapacity ?? 0,
      cpuUsed: 0,
      memoryCapacityMiB: h?.memoryMiB ?? 0,
      memoryUsedMiB: 0,
      openAlerts: ctx.alerts.openOf(rec.host).length,
      rack: h?.rack ?? null,
    });
  }
  // one view for the whole fleet: a view per host made this quadratic (seconds at 1,000 hosts)
  const away = new Map<string, number>();
  for (const vm of fleetView(ctx).vms) {
    if (vm.home !== vm.host) away.set(vm.home, (away.get(vm.home) ?? 0) + 1);
    const s = out.get(vm.host);
    if (!s) continue;
    s.vmCount++;
    s.cpuUsed += vmCpu(vm);
    s.memoryUsedMiB += vm.memoryMiB;
  }
  const { telemetry } = ctx.deps;
  const hbInfo = telemetry.heartbeatInfo();
  for (const s of out.values()) {
    s.cpuUsed = Math.round(s.cpuUsed * 100) / 100;
    const wait = returnWait({
      record: s,
      heartbeat: telemetry.lastHeartbeat(s.host),
      info: hbInfo.get(s.host),
      now: ctx.now(),
      gracePeriodMs: ctx.cfg.returns.gracePeriodMs,
      away: away.get(s.host) ?? 0,
    });
    if (wait) s.waiting = wait;
    else if (ctx.brake.held.includes(s.host)) s.waiting = heldWhy(ctx, s.host);
  }
  return out;
}

/** Why a degraded host is not evacuated: the incident that holds it, or a hot room settling. */
function heldWhy(ctx: LeaderContext, host: string): string {
  const i = ctx.brake.incidents.find((x) => x.hosts.includes(host));
  return i
    ? `held by ${i.id} (${i.hosts.length} host(s) of ${i.scope} too hot at once): ack it to release them under the brake`
    : "its room is hot: waits a few minutes for others before it is evacuated";
}

export function hosts(ctx: LeaderContext, req: { state?: string }): OpsReplies["hosts"] {
  const all = [...summaries(ctx).values()].sort((a, b) => a.host.localeCompare(b.host));
  return { hosts: req.state ? all.filter((h) => h.state === req.state) : all };
}

export function host(ctx: LeaderContext, req: { host: string; readings?: number }): OpsReplies["host"] {
  const summary = summaries(ctx).get(req.host) as HostSummary;
  const { telemetry, audit } = ctx.deps;
  const { readings, history, historyTs } = telemetry.sensorsOf(req.host, req.readings ?? 30);
  return {
    host: summary,
    vms: fleetView(ctx).vms.filter((v) => v.host === req.host || v.home === req.host),
    alerts: [...ctx.store.alerts.values()]
      .filter((a) => a.host === req.host)
      .sort((a, b) => b.lastEventAt - a.lastEventAt),
    health: telemetry.lastHeartbeat(req.host),
    readings,
    history,
    historyTs,
    audit: audit.recent(req.host),
  };
}

export function events(
  ctx: LeaderContext,
  req: { host?: string; severity?: string; unacked?: boolean; open?: boolean; limit?: number },
): OpsReplies["events"] {
  const limit = req.limit ?? 100;
  const alerts = [...ctx.store.alerts.values()]
    .filter(
      (a) =>
        (!req.host || a.host === req.host) &&
        (!req.severity || a.severity === req.severity) &&
        (!req.unacked || !a.ack) &&
        (!req.open || !a.cleared),
    )
    .sort((a, b) => b.lastEventAt - a.lastEventAt)
    .slice(0, limit);
  const evs = ctx.deps.telemetry
    .events()
    .filter((e) => (!req.host || e.host === req.host) && (!req.severity || e.severity === req.severity))
    .slice(-limit)
    .reverse();
  return { alerts, events: evs };
}

export function migrations(
  ctx: LeaderContext,
  req: { active?: boolean; host?: string; limit?: number },
): OpsReplies["migrations"] {
  const list = [...ctx.store.migrations.values()]
    .filter(
      (m) =>
        (!req.active || m.status === "queued" || m.status === "running") &&
        (!req.host || m.from === req.host || m.to === req.host),
    )
    .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.id.localeCompare(a.id))
    .slice(0, req.limit ?? 200);
  return { migrations: list };
}

export function plans(ctx: LeaderContext): OpsReplies["plans"] {
  return { plans: [...ctx.store.plans.values()].sort((a, b) => b.createdAt - a.createdAt) };
}

export function audit(
  ctx: LeaderContext,
  req: { host?: string; action?: string; actor?: string; limit?: number },
): OpsReplies["audit"] {
  const limit = req.limit ?? 200;
  const out = [];
  const all = ctx.deps.audit.latest();
  for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
    const r = all[i] as (typeof all)[number];
    if (req.host && r.host !== req.host) continue;
    if (req.action && !r.action.startsWith(req.action)) continue;
    if (req.actor && r.actor !== req.actor) continue;
    out.push(r);
  }
  return { records: out };
}

/** Answered by every replica: a follower says it is not the leader. */
export function status(
  deps: ReplicaDeps,
  ctx: LeaderContext | null,
  leaderName: string | null = null,
): OpsReplies["status"] {
  const hostsByState: Record<string, number> = {};
  if (ctx) for (const h of ctx.store.hosts.values()) hostsByState[h.state] = (hostsByState[h.state] ?? 0) + 1;
  return {
    controller: deps.name,
    leader: ctx !== null,
    mode: deps.cfg.policy.mode,
    hostsByState,
    vms: ctx ? ctx.engineVms.length : 0,
    activeMigrations: ctx ? ctx.migrations.inFlight().length : 0,
    brake: ctx?.brake ?? BRAKE_IDLE,
    leaderName,
  };
}
