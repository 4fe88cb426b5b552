/**
 * The observe step: read the engine, bring the store's host and VM records in line with it, adopt
 * orphaned migrations, then, with no await in between, build the one snapshot reconcile decides
 * on. VM locations and in-flight migrations are read together: a migration that completed while
 * the engine was being listed is applied to the listing (the VM is at its target), so it is
 * neither missing from the in-flight set nor seen at its old host.
 */
import { type Alert, HostState, Severity, type VmRecord } from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX } from "../alerts.js";
import type { EngineHost, EngineVm } from "../migration/engine.js";
import type { FleetView, HostView } from "../model.js";
import type { Snapshot } from "../reconcile.js";
import type { LeaderContext } from "./context.js";

/**
 * Observe and snapshot; null when the term ended meanwhile. `listed` runs once the engine has
 * answered, before orphans are adopted (the manager audits its leadership there).
 */
export async function observe(ctx: LeaderContext, onListed?: () => void): Promise<Snapshot | null> {
  const mark = ctx.migrations.settledCount;
  const [hosts, listed] = await Promise.all([ctx.deps.engine.listHosts(), ctx.deps.engine.listVms()]);
  if (!ctx.live()) return null;
  onListed?.();
  await ctx.migrations.adoptOrphans();
  if (!ctx.live()) return null;
  // from here on, synchronous: nothing can settle or start a migration until the snapshot is built
  const moved = ctx.migrations.movedSince(mark);
  const vms = listed.map((v) => {
    const to = moved.get(v.id);
    return to && to !== v.host ? { ...v, host: to } : v;
  });
  syncStore(ctx, hosts, vms);
  return snapshot(ctx);
}

/** Discovered hosts become healthy records; VM records follow the engine (placement, size). */
function syncStore(ctx: LeaderContext, hosts: EngineHost[], vms: EngineVm[]): void {
  const { store } = ctx;
  const now = ctx.now();
  ctx.engineHosts = new Map(hosts.map((h) => [h.name, h]));
  for (const h of hosts) {
    if (store.hosts.has(h.name)) continue;
    store.hosts.set(h.name, {
      host: h.name,
      state: HostState.Healthy,
      since: now,
      reason: "discovered",
      lastHeartbeat: null,
      lost: false,
    });
  }
  for (const v of vms) {
    const rec = store.vms.get(v.id);
    const meta = ctx.cfg.vms[v.id];
    if (!rec) {
      store.vms.set(v.id, vmRecord(v, { home: v.host, ...meta }));
    } else if (rec.host !== v.host || rec.memoryMiB !== v.memoryMiB || rec.vcpus !== v.vcpus) {
      store.vms.set(v.id, { ...rec, host: v.host, memoryMiB: v.memoryMiB, vcpus: v.vcpus });
    }
  }
  ctx.engineVms = vms;
}

/** The reconcile input, read in one synchronous step from the context. */
export function snapshot(ctx: LeaderContext): Snapshot {
  const { store } = ctx;
  const now = ctx.now();
  return {
    now,
    cfg: ctx.cfg,
    records: new Map(store.hosts.entries()),
    fleet: fleetView(ctx),
    inFlight: ctx.migrations.inFlight(),
    heartbeats: ctx.deps.telemetry.heartbeatInfo(),
    leaderSince: ctx.leaderSince,
    plans: [...store.plans.values()],
    hold: ctx.migrations.retryHold(now),
    alerts: reconcileAlerts(store.alerts.entries()),
    vmRecords: [...store.vms.values()],
    migrations: [...store.migrations.values()],
    lastRebalance: ctx.lastRebalance,
    rebalanceIntents: [...ctx.rebalanceIntents],
  };
}

/**
 * The alerts a pass reads (Snapshot.alerts): the controller's own, whose ids say what it raised already
 * (incidents among them), and the open criticals (escalation; what a common cause is made of). Not a
 * copy of the whole bucket: at the per-host cap that is 200,000 alerts at 2,000 hosts, and a pass runs
 * after every stored batch.
 */
export function reconcileAlerts(all: Iterable<[string, Alert]>): Map<string, Alert> {
  const out = new Map<string, Alert>();
  for (const [id, a] of all)
    if (id.startsWith(CONTROLLER_ALERT_PREFIX) || (a.severity === Severity.Critical && !a.cleared)) out.set(id, a);
  return out;
}

/** Hosts and VMs as placement sees them: the engine's view plus the store's attributes. */
export function fleetView(ctx: LeaderContext): FleetView {
  const { store } = ctx;
  const hosts: HostView[] = [];
  for (const h of ctx.engineHosts.values()) {
    const rec = store.hosts.get(h.name);
    // a host whose agent went silent is no target, whatever its last state
    const state = rec?.lost && rec.state === HostState.Healthy ? HostState.Suspect : (rec?.state ?? HostState.Healthy);
    hosts.push({
      name: h.name,
      state,
      cpuCapacity: h.cpuCapacity,
      memoryMiB: h.memoryMiB,
      up: h.up,
      // the failure domain: common-cause recognition groups a rack's hosts by it
      rack: h.rack ?? null,
      cpuUtilPct: ctx.deps.telemetry.lastHeartbeat(h.name)?.cpuUtilPct ?? null,
    });
  }
  const vms = ctx.engineVms.map((v) => vmRecord(v, store.vms.get(v.id) ?? { home: v.host }));
  return { hosts, vms };
}

/** A VM as the engine sees it, with the attributes only the store knows. */
function vmRecord(
  v: EngineVm,
  attrs: { home: string; antiAffinityGroup?: string | null; priority?: number },
): VmRecord {
  return {
    id: v.id,
    host: v.host,
    home: attrs.home,
    memoryMiB: v.memoryMiB,
    vcpus: v.vcpus,
    cpuDemand: v.cpuDemand,
    dirtyRateMiBps: v.dirtyRateMiBps,
    antiAffinityGroup: attrs.antiAffinityGroup ?? null,
    priority: attrs.priority ?? 0,
  };
}
