/**
 * One reconcile pass as a pure function: from the desired state (host records, plans, policy,
 * recorded operator intents) and the observed state (where the engine says VMs are, migrations in
 * flight, heartbeats, alerts) to a list of idempotent actions. The applier (runtime/applier.ts)
 * executes them and the loop runs the next pass when anything changes or the interval elapses.
 * Level-based: a pass never depends on which event woke it, so lost, repeated or reordered
 * messages do no harm. Every decision the controller takes on its own is made here.
 */
import {
  type Alert,
  type HostRecord,
  HostState,
  MigrationPurpose,
  type MigrationRecord,
  type Plan,
  type PlanMove,
  Severity,
  type VmRecord,
} from "@presage/shared";
import { applyBrake, type BrakeStatus } from "./brake.js";
import { type CommonCause, commonCause } from "./common-cause.js";
import { type ControllerConfig, PolicyMode, policyFor } from "./config.js";
import { DRAINING_STATES, Trigger } from "./lifecycle.js";
import type { FleetView } from "./model.js";
import { type InFlight, planEvacuation, planReturn, startable } from "./placement/planner.js";
import { incidentActions } from "./reconcile/incidents.js";
import type { RebalanceIntent } from "./reconcile/rebalance.js";
import { balancing, escalations, scheduledMaintenance, vanishedVms } from "./reconcile/upkeep.js";

export type FlightInfo = InFlight & { purpose: MigrationPurpose };

export type Action =
  | { kind: "transition"; host: string; trigger: Trigger; reason: string }
  | { kind: "migrate"; move: PlanMove; purpose: MigrationPurpose }
  /** raise a controller alert (no-op if that id exists) */
  | { kind: "alert"; id: string; host: string; severity: Severity; reason: string }
  /** close an open controller alert whose condition is gone (a common-cause incident over) */
  | { kind: "alert-clear"; id: string; reason: string }
  | { kind: "lost"; host: string; lost: boolean; reason: string }
  | { kind: "propose"; host: string; moves: PlanMove[]; unplaced: { vm: string; reason: string }[] }
  | { kind: "plan-status"; id: string; status: Plan["status"]; reason?: string }
  /** a scheduled maintenance plan whose time came: the host enters maintenance */
  | { kind: "maintenance-start"; plan: string; host: string; reason: string }
  /** re-publish an unacknowledged critical alert */
  | { kind: "escalate"; id: string }
  /** record a balancing plan (its moves come as migrate actions) */
  | { kind: "rebalance"; plan: Plan }
  /** an operator rebalance whose moves were started (or no longer apply) */
  | { kind: "intent-done"; planId: string };

/** The audit actor of the decisions a pass takes. */
const ACTOR = "controller";

export type HeartbeatInfo = { lastAt: number; healthySince: number | null };

export type Snapshot = {
  now: number;
  cfg: ControllerConfig;
  records: ReadonlyMap<string, HostRecord>;
  fleet: FleetView;
  inFlight: readonly FlightInfo[];
  heartbeats: ReadonlyMap<string, HeartbeatInfo>;
  /** when this replica became leader: silence before that is not the agent's fault */
  leaderSince: number;
  plans: readonly Plan[];
  /** VMs whose last migration failed recently: not planned until the retry delay has passed */
  hold?: ReadonlySet<string>;
  /** alerts by id: at least the controller's own (which exist already) and the open criticals (escalations, common cause) */
  alerts?: ReadonlyMap<string, Alert>;
  /** the VMs the store knows: one the engine no longer lists has vanished */
  vmRecords?: readonly VmRecord[];
  /** migration history (balancing cool-down) */
  migrations?: readonly MigrationRecord[];
  /** when the balancing interval last planned */
  lastRebalance?: number;
  rebalanceIntents?: readonly RebalanceIntent[];
};

const byUrgency = (a: HostRecord, b: HostRecord) =>
  (a.predictedFailureAt ?? Number.POSITIVE_INFINITY) - (b.predictedFailureAt ?? Number.POSITIVE_INFINITY) ||
  a.since - b.since ||
  a.host.localeCompare(b.host);

export function reconcile(snap: Snapshot): { actions: Action[]; brake: BrakeStatus } {
  const scheduled = scheduledMaintenance(snap, ACTOR);
  // the rest of the pass sees the hosts that just entered maintenance as draining
  const s: Snapshot = { ...snap, records: scheduled.records };
  const actions: Action[] = [...scheduled.actions];
  const records = [...s.records.values()];
  // grows with every migration this pass starts, so later steps respect the limits
  const inFlight: FlightInfo[] = [...s.inFlight];
  const views = new Map(s.fleet.hosts.map((h) => [h.name, h]));
  for (const r of records) {
    if (views.get(r.host)?.up === false && r.state !== HostState.Failed)
      actions.push({
        kind: "transition",
        host: r.host,
        trigger: Trigger.EngineDown,
        reason: "the hypervisor reports the host down",
      });
    lostCheck(s, r, actions);
  }
  drain(s, records, inFlight, actions);
  const cc = commonCause(s.cfg.commonCause, {
    now: s.now,
    records: s.records,
    hosts: s.fleet.hosts,
    alerts: s.alerts ?? new Map(),
  });
  actions.push(...incidentActions(cc));
  const brake = admitDegraded(s, records, inFlight, actions, cc);
  bringHome(s, records, inFlight, actions);
  finishedPlans(s, actions);
  actions.push(...vanishedVms(s), ...escalations(s), ...balancing(s, records, inFlight));
  return { actions, brake };
}

/** 1. draining hosts (evacuating, maintenance): plan every VM, start what the limits allow */
function drain(s: Snapshot, records: HostRecord[], inFlight: FlightInfo[], actions: Action[]): void {
  const draining = records.filter((r) => DRAINING_STATES.includes(r.state)).sort(byUrgency);
  if (!draining.length) return;
  const plan = planEvacuation({
    fleet: s.fleet,
    sources: draining.map((r) => ({ host: r.host, predictedFailureAt: r.predictedFailureAt ?? null })),
    headroom: s.cfg.headroom,
    inFlight,
    hold: s.hold,
  });
  const state = new Map(draining.map((r) => [r.host, r.state]));
  for (const mv of startable(plan.moves, inFlight, s.cfg.concurrency)) {
    const purpose =
      state.get(mv.from) === HostState.Maintenance ? MigrationPurpose.Maintenance : MigrationPurpose.Evacuation;
    actions.push({ kind: "migrate", move: mv, purpose });
    inFlight.push({ vm: mv.vm, from: mv.from, to: mv.to, purpose });
  }
  for (const r of draining) {
    const left = s.fleet.vms.filter((v) => v.host === r.host).length;
    const moving = inFlight.some((f) => f.from === r.host);
    if (left === 0 && !moving && r.state === HostState.Evacuating)
      actions.push({
        kind: "transition",
        host: r.host,
        trigger: Trigger.Evacuated,
        reason: "no VM left on the host",
      });
    const stuck = plan.unplaced.filter((u) => s.fleet.vms.some((v) => v.id === u.vm && v.host === r.host));
    if (stuck.length)
      actions.push({
        kind: "alert",
        id: `ctl-capacity-${r.host}-${r.since}`,
        host: r.host,
        severity: Severity.Critical,
        reason: `not enough capacity to empty ${r.host}: ${stuck.length} VM(s) stay (${stuck
          .slice(0, 5)
          .map((u) => u.vm)
          .join(", ")}${stuck.length > 5 ? ", ..." : ""}); ${stuck[0]?.reason}`,
      });
  }
}

/**
 * 2. degraded hosts: evacuate (automatic), propose (manual) or watch (monitor), under the brake; hosts a
 * common-cause incident holds wait outside it (they are not in remediation and take no room)
 */
function admitDegraded(
  s: Snapshot,
  records: HostRecord[],
  inFlight: FlightInfo[],
  actions: Action[],
  cc: CommonCause,
): BrakeStatus {
  const candidates: HostRecord[] = [];
  for (const r of records.filter((x) => x.state === HostState.Degraded).sort(byUrgency)) {
    if (cc.held.has(r.host)) continue;
    const mode = policyFor(s.cfg, r.host);
    if (mode === PolicyMode.Automatic) candidates.push(r);
    else if (mode === PolicyMode.Manual) {
      const plan = latestPlan(s.plans, r.host, r.since);
      if (plan?.status === "approved") candidates.push(r);
      else if (!plan) {
        const p = planEvacuation({ fleet: s.fleet, sources: [{ host: r.host }], headroom: s.cfg.headroom, inFlight });
        actions.push({ kind: "propose", host: r.host, moves: p.moves, unplaced: p.unplaced });
      }
    }
  }
  const states = new Map(records.map((r) => [r.host, r.state]));
  const { admit, status } = applyBrake(
    s.cfg.brake,
    states,
    candidates.map((r) => r.host),
  );
  for (const h of admit) {
    const r = s.records.get(h) as HostRecord;
    actions.push({
      kind: "transition",
      host: h,
      trigger: Trigger.EvacuationStarted,
      reason: `evacuating: ${r.reason}`,
    });
    const plan = latestPlan(s.plans, h, r.since);
    if (plan?.status === "approved") actions.push({ kind: "plan-status", id: plan.id, status: "executing" });
  }
  for (const h of status.waiting) {
    const r = s.records.get(h) as HostRecord;
    actions.push({
      kind: "alert",
      id: `ctl-brake-${h}-${r.since}`,
      host: h,
      severity: Severity.Warning,
      reason: `safety brake: ${status.inRemediation} of at most ${status.limit} hosts already in remediation; evacuation of ${h} waits`,
    });
  }
  const held = [...cc.held].sort();
  const incidents = cc.incidents.map(({ id, scope, hosts, acked }) => ({ id, scope, hosts, acked }));
  return { ...status, engaged: status.engaged || held.length > 0, held, incidents };
}

/** 3. returning hosts: after the grace period, bring home VMs back in waves */
function bringHome(s: Snapshot, records: HostRecord[], inFlight: FlightInfo[], actions: Action[]): void {
  for (const r of records.filter((x) => x.state === HostState.Returning)) {
    if (!graceOver(s, r)) continue;
    if (inFlight.some((f) => f.to === r.host && f.purpose === MigrationPurpose.Return)) continue;
    const plan = planReturn({ fleet: s.fleet, host: r.host, headroom: s.cfg.headroom, inFlight, hold: s.hold });
    const waiting = s.fleet.vms.some((v) => v.home === r.host && v.host !== r.host && s.hold?.has(v.id));
    if (plan.moves.length === 0 && !waiting) {
      const why = plan.unplaced.length
        ? `home VMs back; ${plan.unplaced.length} stay away: ${plan.unplaced[0]?.reason}`
        : "all home VMs are back";
      actions.push({ kind: "transition", host: r.host, trigger: Trigger.Returned, reason: why });
      continue;
    }
    for (const mv of startable(plan.moves.slice(0, s.cfg.returns.waveSize), inFlight, s.cfg.concurrency)) {
      actions.push({ kind: "migrate", move: mv, purpose: MigrationPurpose.Return });
      inFlight.push({ vm: mv.vm, from: mv.from, to: mv.to, purpose: MigrationPurpose.Return });
    }
  }
}

/** 4. finished manual plans */
function finishedPlans(s: Snapshot, actions: Action[]): void {
  for (const p of s.plans) {
    if (p.status !== "executing" || !p.host) continue;
    const st = s.records.get(p.host)?.state;
    if (st && st !== HostState.Evacuating && st !== HostState.Degraded)
      actions.push({ kind: "plan-status", id: p.id, status: st === HostState.Quarantined ? "done" : "failed" });
  }
}

function lostCheck(s: Snapshot, r: HostRecord, actions: Action[]): void {
  const last = s.heartbeats.get(r.host)?.lastAt ?? r.lastHeartbeat ?? null;
  if (last === null) return; // never had an agent: nothing to lose
  const silentMs = s.now - Math.max(last, s.leaderSince);
  const silent = silentMs > s.cfg.heartbeat.lostAfterMs;
  if (silent && !r.lost) {
    const reason = `no heartbeat from ${r.host}'s agent for ${Math.round(silentMs / 1000)} s; not evacuating blindly`;
    actions.push({ kind: "lost", host: r.host, lost: true, reason });
    actions.push({
      kind: "alert",
      id: `ctl-lost-${r.host}-${last}`,
      host: r.host,
      severity: Severity.Critical,
      reason,
    });
  } else if (!silent && r.lost) {
    actions.push({ kind: "lost", host: r.host, lost: false, reason: `heartbeats from ${r.host} are back` });
  }
}

function graceOver(s: Snapshot, r: HostRecord): boolean {
  const since = r.repairedAt ?? r.since;
  const hb = s.heartbeats.get(r.host);
  if (hb) return hb.healthySince !== null && s.now - Math.max(hb.healthySince, since) >= s.cfg.returns.gracePeriodMs;
  // a host that never had an agent: wait the grace period after the repair
  return r.lastHeartbeat == null && s.now - since >= s.cfg.returns.gracePeriodMs;
}

/** The evacuation plan proposed for this episode of the host (created after it became degraded). */
function latestPlan(plans: readonly Plan[], host: string, since: number): Plan | undefined {
  return plans
    .filter((p) => p.host === host && p.kind === "evacuation" && p.createdAt >= since)
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}
