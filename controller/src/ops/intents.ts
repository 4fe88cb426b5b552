/**
 * The ops handlers that change desired state: they record what the operator wants (an ack, a
 * repair, maintenance, a plan decision, a rebalance) and wake the loop; the reconcile pass acts
 * on it. None starts a migration itself.
 */
import {
  type Alert,
  ErrorCode,
  type HostRecord,
  HostState,
  OpsError,
  type OpsReplies,
  type Plan,
} from "@presage/shared";
import { ackAlerts, closedAlert } from "../alerts.js";
import { nextState, Trigger } from "../lifecycle.js";
import { previewMaintenance } from "../maintenance/preview.js";
import { type RebalanceRequest, rebalancePlan } from "../reconcile/rebalance.js";
import { assertRepairable } from "../return-wait.js";
import { recordRebalance } from "../runtime/applier.js";
import type { LeaderContext } from "../runtime/context.js";
import { fleetView } from "../runtime/observe.js";

export function hostRecord(ctx: LeaderContext, host: string): HostRecord {
  const rec = ctx.store.hosts.get(host);
  if (!rec) throw new OpsError(ErrorCode.UnknownHost, `no host named ${host}`);
  return rec;
}

export async function ack(
  ctx: LeaderContext,
  req: { target: string; note?: string },
  actor: string,
): Promise<OpsReplies["ack"]> {
  const { store } = ctx;
  const all = store.alerts as unknown as ReadonlyMap<string, Alert>;
  const acked = ackAlerts(all, req.target, actor, req.note ?? "", ctx.now(), (h) => store.hosts.has(h));
  for (const a of acked) {
    ctx.alerts.save(a);
    ctx.record({
      action: "ack",
      host: a.host,
      actor,
      detail: `acknowledged ${a.id}: ${a.reason}${req.note ? ` (${req.note})` : ""}`,
      data: { alert: a.id },
    });
  }
  await ctx.persist();
  return { acked };
}

export async function repaired(
  ctx: LeaderContext,
  req: { host: string; note?: string; force?: boolean },
  actor: string,
): Promise<OpsReplies["repaired"]> {
  const rec = hostRecord(ctx, req.host);
  const now = ctx.now();
  assertRepairable(req.host, ctx.deps.telemetry.lastHeartbeat(req.host), req.force === true);
  const reason = req.note ?? `marked repaired by ${actor}`;
  const next = ctx.transition(rec, Trigger.Repaired, reason, actor, { repairedAt: now, lost: false }, true);
  // the repair resolves what was open; a condition that persists shows in the heartbeats, which hold the return
  for (const al of ctx.alerts.openOf(req.host)) if (!al.cleared) ctx.alerts.save(closedAlert(al, now));
  await ctx.persist();
  return { host: next };
}

type EnterReq = { hosts: string[]; reason?: string; deadline?: number | null; at?: number | null; dryRun?: boolean };

/** One plan per host, ordered under the brake, with every VM placed and the drain estimated. */
function maintenancePlans(ctx: LeaderContext, req: EnterReq, recs: HostRecord[], actor: string) {
  const now = ctx.now();
  const scheduled = req.at != null && req.at > now ? req.at : null;
  const bandwidthBps = ctx.cfg.migration.bandwidthBps;
  const preview = previewMaintenance(
    { hosts: recs.map((r) => r.host), deadline: req.deadline ?? null, at: scheduled },
    {
      fleet: fleetView(ctx),
      states: new Map([...ctx.store.hosts.entries()].map(([h, r]) => [h, r.state])),
      brake: ctx.cfg.brake,
      limits: ctx.cfg.concurrency,
      headroom: ctx.cfg.headroom,
      now,
      inFlight: ctx.migrations.inFlight(),
      ...(bandwidthBps ? { bandwidthMiBps: bandwidthBps / 1_048_576 } : {}),
    },
  );
  const { order } = preview;
  const unplacedFrom = new Map(ctx.engineVms.map((v) => [v.id, v.host]));
  const reason = req.reason ?? `maintenance requested by ${actor}`;
  // hosts the brake cannot take now wait as approved plans; reconcile starts them in turn
  const waiting = scheduled ? [] : order.waiting;
  const status = (host: string): Plan["status"] =>
    req.dryRun ? "proposed" : scheduled || waiting.includes(host) ? "approved" : "executing";
  const plans: Plan[] = order.order.map((host) => ({
    id: `maint-${host}-${now}`,
    kind: "maintenance",
    host,
    createdAt: now,
    status: status(host),
    reason,
    moves: preview.moves.filter((m) => m.from === host),
    unplaced: preview.unplaced.filter((u) => unplacedFrom.get(u.vm) === host),
    startAt: scheduled ?? (waiting.includes(host) ? now : null),
    details: preview.lines,
  }));
  return { plans, order, scheduled, waiting, reason };
}

export async function maintenanceEnter(
  ctx: LeaderContext,
  req: EnterReq,
  actor: string,
): Promise<OpsReplies["maintenance-enter"]> {
  const recs = [...new Set(req.hosts)].map((h) => hostRecord(ctx, h));
  for (const r of recs) nextState(r.state, Trigger.MaintenanceEnter, r.host); // throws if not allowed
  const { plans, order, scheduled, waiting, reason } = maintenancePlans(ctx, req, recs, actor);
  if (req.dryRun) return { hosts: recs, plans, scheduledAt: scheduled, waiting: order.waiting };
  const brakeNote = `safety brake: ${order.inRemediation} of at most ${order.limit} hosts in remediation`;
  // a request of which nothing can start now is refused (retry later) rather than queued unseen
  if (!scheduled && order.admitNow.length === 0)
    throw new OpsError(ErrorCode.BrakeEngaged, `${brakeNote}; none of ${order.order.join(", ")} can enter now`);
  for (const p of plans) {
    ctx.store.plans.set(p.id, p);
    const host = p.host as string;
    const queued = waiting.indexOf(host);
    ctx.record({
      action: scheduled ? "maintenance.scheduled" : queued >= 0 ? "maintenance.waiting" : "maintenance.enter",
      host,
      actor,
      detail: `${reason}: ${p.moves.length} VM(s) to move${
        scheduled
          ? ` at ${new Date(scheduled).toISOString()}`
          : queued >= 0
            ? `; waits for the brake (${brakeNote}), number ${queued + 1} of ${waiting.length} in line`
            : ""
      }`,
      data: { plan: p.id },
    });
  }
  const byHost = new Map(recs.map((r) => [r.host, r]));
  const hosts = order.order.map((h) => {
    const r = byHost.get(h) as HostRecord;
    return scheduled || waiting.includes(h) ? r : ctx.enterMaintenance(r, reason, req.deadline ?? null, actor);
  });
  await ctx.persist();
  ctx.wake();
  return { hosts, plans, scheduledAt: scheduled, waiting };
}

export async function maintenanceExit(
  ctx: LeaderContext,
  req: { hosts: string[]; note?: string },
  actor: string,
): Promise<OpsReplies["maintenance-exit"]> {
  const recs = req.hosts.map((h) => hostRecord(ctx, h));
  for (const r of recs) nextState(r.state, Trigger.MaintenanceExit, r.host);
  const now = ctx.now();
  const reason = req.note ?? `maintenance ended by ${actor}`;
  const extra = { maintenance: null, repairedAt: now, predictedFailureAt: null };
  const hosts = recs.map((r) => ctx.transition(r, Trigger.MaintenanceExit, reason, actor, extra, true));
  await ctx.persist();
  ctx.wake();
  return { hosts };
}

function proposedPlan(ctx: LeaderContext, id: string): Plan {
  const p = ctx.store.plans.get(id);
  if (!p) throw new OpsError(ErrorCode.UnknownPlan, `no plan ${id}`);
  if (p.status !== "proposed") throw new OpsError(ErrorCode.Conflict, `plan ${id} is ${p.status}, not proposed`);
  return p;
}

export async function planDecision(
  ctx: LeaderContext,
  req: { id: string; note?: string },
  actor: string,
  status: "approved" | "rejected",
): Promise<{ plan: Plan }> {
  const plan: Plan = { ...proposedPlan(ctx, req.id), status };
  ctx.store.plans.set(plan.id, plan);
  const verb = status === "approved" ? "approve" : "reject";
  ctx.record({
    action: `plan.${verb}`,
    host: plan.host,
    actor,
    detail: `${status} ${plan.id}${req.note ? `: ${req.note}` : ""}`,
  });
  const rec = plan.host ? ctx.store.hosts.get(plan.host) : undefined;
  if (status === "rejected" && rec?.state === HostState.Degraded)
    ctx.transition(rec, Trigger.PlanRejected, `evacuation plan rejected by ${actor}`, actor);
  await ctx.persist();
  if (status === "approved") ctx.wake();
  return { plan };
}

/**
 * Plan a rebalance now (the reply shows it); unless a dry run, store the plan and record the
 * intent, then run a reconcile pass, which starts what the limits allow.
 */
export async function rebalance(
  ctx: LeaderContext,
  req: RebalanceRequest,
  actor: string,
  reconcileNow: () => Promise<void>,
): Promise<OpsReplies["rebalance"]> {
  const plan = rebalancePlan(
    {
      now: ctx.now(),
      cfg: ctx.cfg,
      fleet: fleetView(ctx),
      records: ctx.store.hosts.values(),
      migrations: ctx.store.migrations.values(),
      inFlight: ctx.migrations.inFlight(),
    },
    req,
  );
  const applied = !req.dryRun && plan.moves.length > 0;
  if (!req.dryRun) {
    recordRebalance(ctx, plan, actor);
    if (applied) ctx.rebalanceIntents.push({ planId: plan.id, moves: plan.moves });
    await ctx.persist();
    if (applied) await reconcileNow();
  }
  return { plan, applied };
}
