/**
 * The pure steps of a reconcile pass besides evacuation and return: scheduled maintenance whose
 * time came, VMs the hypervisor no longer knows, unacknowledged criticals due for escalation,
 * and balancing (the operator's recorded requests and the balancing interval).
 */
import { type HostRecord, HostState, MigrationPurpose, Severity } from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX, dueEscalations } from "../alerts.js";
import { applyBrake } from "../brake.js";
import { PolicyMode } from "../config.js";
import { canTransition, Trigger } from "../lifecycle.js";
import { startable } from "../placement/planner.js";
import type { Action, FlightInfo, Snapshot } from "../reconcile.js";
import { rebalancePlan } from "./rebalance.js";

/**
 * Approved maintenance plans whose start time has come enter maintenance (under the brake like
 * any other). Returns the actions and the records as they will be once those are applied.
 */
export function scheduledMaintenance(
  s: Snapshot,
  actor: string,
): { actions: Action[]; records: Map<string, HostRecord> } {
  const records = new Map(s.records);
  const actions: Action[] = [];
  for (const p of s.plans) {
    if (p.kind !== "maintenance" || p.status !== "approved" || !p.host || (p.startAt ?? 0) > s.now) continue;
    const rec = records.get(p.host);
    if (!rec || !canTransition(rec.state, Trigger.MaintenanceEnter)) {
      const reason = `${p.reason}; ${p.host} was ${rec?.state ?? "unknown"} at the start time`;
      actions.push({ kind: "plan-status", id: p.id, status: "failed", reason });
      continue;
    }
    const states = new Map([...records.entries()].map(([h, r]) => [h, r.state]));
    if (applyBrake(s.cfg.brake, states, [p.host]).admit.length === 0) continue; // waits for the brake
    actions.push({ kind: "maintenance-start", plan: p.id, host: p.host, reason: p.reason });
    records.set(p.host, {
      ...rec,
      state: HostState.Maintenance,
      since: s.now,
      reason: p.reason,
      maintenance: { reason: p.reason, deadline: null, by: actor },
      predictedFailureAt: null,
    });
  }
  return { actions, records };
}

/** A critical alert for each VM the store knows that the engine no longer lists (once). */
export function vanishedVms(s: Snapshot): Action[] {
  const listed = new Set(s.fleet.vms.map((v) => v.id));
  const out: Action[] = [];
  for (const rec of s.vmRecords ?? []) {
    const id = `${CONTROLLER_ALERT_PREFIX}vanished-${rec.id}`;
    if (listed.has(rec.id) || s.alerts?.has(id)) continue;
    out.push({
      kind: "alert",
      id,
      host: rec.host,
      severity: Severity.Critical,
      reason: `VM ${rec.id} is not known to the hypervisor any more (last on ${rec.host})`,
    });
  }
  return out;
}

/** Escalation runs on the controller's clock: an alert's openedAt is when the controller opened it. */
export function escalations(s: Snapshot): Action[] {
  return dueEscalations(s.alerts?.values() ?? [], s.now, s.cfg.alerts.escalationIntervalMs).map((a) => ({
    kind: "escalate",
    id: a.id,
  }));
}

/**
 * Start what the limits allow of each recorded operator rebalance, and plan one every
 * rebalance.intervalMs under the automatic policy. `inFlight` grows with what is started.
 */
export function balancing(s: Snapshot, records: Iterable<HostRecord>, inFlight: FlightInfo[]): Action[] {
  const out: Action[] = [];
  const start = (moves: Parameters<typeof startable>[0]) => {
    const at = new Map(s.fleet.vms.map((v) => [v.id, v.host]));
    const ready = moves.filter((m) => at.get(m.vm) === m.from && !inFlight.some((f) => f.vm === m.vm));
    // the balancer plans small moves; what the limits do not allow now is planned again later
    for (const mv of startable(ready, inFlight, s.cfg.concurrency)) {
      out.push({ kind: "migrate", move: mv, purpose: MigrationPurpose.Rebalance });
      inFlight.push({ vm: mv.vm, from: mv.from, to: mv.to, purpose: MigrationPurpose.Rebalance });
    }
  };
  for (const intent of s.rebalanceIntents ?? []) {
    start(intent.moves);
    out.push({ kind: "intent-done", planId: intent.planId });
  }
  const every = s.cfg.rebalance.intervalMs;
  if (every && s.now - (s.lastRebalance ?? 0) >= every && s.cfg.policy.mode === PolicyMode.Automatic) {
    const plan = rebalancePlan(
      { now: s.now, cfg: s.cfg, fleet: s.fleet, records, migrations: s.migrations ?? [], inFlight },
      {},
    );
    out.push({ kind: "rebalance", plan });
    start(plan.moves);
  }
  return out;
}
