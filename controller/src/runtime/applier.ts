/**
 * The one applier: every action a reconcile pass returns is executed here, through a registry
 * with one handler per action kind (the `satisfies` clause makes it exhaustive at compile time).
 * Handlers are idempotent: applying an action twice changes nothing the second time.
 */
import { type AlertFeedMessage, type Plan, subjects } from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX, closedAlert, controllerAlert } from "../alerts.js";
import { canTransition } from "../lifecycle.js";
import type { Action } from "../reconcile.js";
import { ACTOR, type LeaderContext } from "./context.js";

type Handler<K extends Action["kind"]> = (ctx: LeaderContext, a: Extract<Action, { kind: K }>) => void | Promise<void>;

const handlers = {
  transition(ctx, a) {
    const rec = ctx.store.hosts.get(a.host);
    if (rec && canTransition(rec.state, a.trigger)) ctx.transition(rec, a.trigger, a.reason, ACTOR);
  },
  migrate: (ctx, a) => ctx.migrations.start(a.move, a.purpose),
  alert(ctx, a) {
    if (ctx.store.alerts.has(a.id)) return;
    const alert = controllerAlert(a.id, a.host, a.severity, a.reason, ctx.now());
    ctx.alerts.save(alert);
    ctx.alerts.publish("alert", alert);
    ctx.record(
      { action: "alert", host: a.host, actor: ACTOR, detail: a.reason, data: { alert: a.id } },
      `alert:${a.id}`,
    );
  },
  "alert-clear"(ctx, a) {
    const cur = ctx.store.alerts.get(a.id);
    if (!cur || cur.cleared) return;
    ctx.alerts.save(closedAlert(cur, ctx.now()));
    ctx.record(
      {
        action: "alert.cleared",
        host: cur.host,
        actor: ACTOR,
        detail: `${cur.id}: ${a.reason}`,
        data: { alert: a.id },
      },
      `alert-clear:${a.id}`,
    );
  },
  lost(ctx, a) {
    const rec = ctx.store.hosts.get(a.host);
    if (!rec) return;
    ctx.store.hosts.set(a.host, { ...rec, lost: a.lost });
    ctx.record({ action: a.lost ? "host.lost" : "host.found", host: a.host, actor: ACTOR, detail: a.reason });
    if (!a.lost)
      for (const al of ctx.alerts.openOf(a.host))
        if (al.id.startsWith(`${CONTROLLER_ALERT_PREFIX}lost-`)) ctx.alerts.save(closedAlert(al, ctx.now()));
  },
  propose(ctx, a) {
    const now = ctx.now();
    const rec = ctx.store.hosts.get(a.host);
    const plan: Plan = {
      id: `plan-${a.host}-${now}`,
      kind: "evacuation",
      host: a.host,
      createdAt: now,
      status: "proposed",
      reason: `${a.host} is degraded (${rec?.reason ?? "critical event"}); manual policy: approve to evacuate`,
      moves: a.moves,
      unplaced: a.unplaced,
    };
    ctx.store.plans.set(plan.id, plan);
    ctx.deps.nc.publish(subjects.alerts, JSON.stringify({ type: "plan", plan } satisfies AlertFeedMessage));
    ctx.record({
      action: "plan.proposed",
      host: a.host,
      actor: ACTOR,
      detail: plan.reason,
      data: { plan: plan.id, moves: plan.moves.length },
    });
  },
  "plan-status"(ctx, a) {
    const p = ctx.store.plans.get(a.id);
    if (!p || p.status === a.status) return;
    ctx.store.plans.set(a.id, { ...p, status: a.status, ...(a.reason ? { reason: a.reason } : {}) });
    ctx.record({ action: "plan.status", host: p.host, actor: ACTOR, detail: `plan ${p.id} is ${a.status}` });
  },
  "maintenance-start"(ctx, a) {
    const rec = ctx.store.hosts.get(a.host);
    const p = ctx.store.plans.get(a.plan);
    if (!rec || !p || p.status !== "approved") return;
    ctx.enterMaintenance(rec, a.reason, null, ACTOR);
    ctx.store.plans.set(p.id, { ...p, status: "executing" });
  },
  escalate(ctx, a) {
    const cur = ctx.store.alerts.get(a.id);
    // cleared earlier in the same pass (an incident over): nothing to re-publish
    if (!cur || cur.cleared) return;
    const next = { ...cur, escalations: cur.escalations + 1 };
    ctx.alerts.save(next);
    ctx.alerts.publish("escalation", next);
    ctx.record({
      action: "alert.escalate",
      host: cur.host,
      actor: ACTOR,
      detail: `unacknowledged: ${cur.reason}`,
      data: { alert: cur.id },
    });
  },
  rebalance(ctx, a) {
    ctx.lastRebalance = a.plan.createdAt;
    recordRebalance(ctx, a.plan, ACTOR);
  },
  "intent-done"(ctx, a) {
    ctx.rebalanceIntents = ctx.rebalanceIntents.filter((i) => i.planId !== a.planId);
  },
} satisfies { [K in Action["kind"]]: Handler<K> };

/** Apply the actions of one pass in order; stops when the term ends. */
export async function applyActions(ctx: LeaderContext, actions: readonly Action[]): Promise<void> {
  for (const a of actions) {
    if (!ctx.live()) return;
    await (handlers[a.kind] as Handler<Action["kind"]>)(ctx, a as never);
  }
}

/** Store a balancing plan and its audit record (operator request or the balancing interval). */
export function recordRebalance(ctx: LeaderContext, plan: Plan, actor: string): void {
  ctx.store.plans.set(plan.id, plan);
  ctx.record({
    action: "rebalance",
    actor,
    detail: `${plan.reason} (${plan.moves.length} move(s))`,
    data: { plan: plan.id, before: plan.imbalanceBefore, after: plan.imbalanceAfter },
  });
}
