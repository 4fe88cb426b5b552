/**
 * The Alertmanager edge of one leader term: every `alertmanager.intervalMs` (wall time, AM's clock) push the
 * alerts, read the silences, create a silence for each Presage ack that lacks one, and acknowledge alerts that
 * someone silenced in Alertmanager, through the same ack intent `presage ack` uses (actor
 * `alertmanager:<createdBy>`). Alertmanager being away is logged and counted, never fatal.
 */

import * as intents from "../ops/intents.js";
import type { LeaderContext } from "../runtime/context.js";
import { AlertmanagerClient, redactUrl } from "./client.js";
import { planSync } from "./plan.js";

/** Run until the term ends; returns at once when alertmanager.url is not set. */
export async function runAlertmanagerSync(ctx: LeaderContext, wallNow: () => number = Date.now): Promise<void> {
  const cfg = ctx.cfg.alertmanager;
  if (!cfg.url) return;
  const client = new AlertmanagerClient(cfg.url, cfg.timeoutMs);
  const url = redactUrl(cfg.url);
  let failing = false;
  while (ctx.live()) {
    try {
      await syncOnce(ctx, client, wallNow());
      if (failing) ctx.deps.log.info({ url }, "Alertmanager answers again");
      failing = false;
    } catch (e) {
      ctx.deps.metrics.inc("presage_alertmanager_pushes_total", { result: "error" });
      // logged once per outage, not once per interval
      if (!failing) ctx.deps.log.warn({ url, err: (e as Error).message }, "Alertmanager sync failed; retrying");
      failing = true;
    }
    // wall-clock sleep in short steps, so a term that ends stops the loop promptly, and an ack or an alert that
    // opens or clears (as counts show it) reaches Alertmanager within a step; the interval catches the rest
    const seen = signature(ctx);
    for (let left = cfg.intervalMs; left > 0 && ctx.live() && signature(ctx) === seen; left -= 250)
      await new Promise((r) => setTimeout(r, Math.min(250, left)));
  }
}

/** Changes when alerts are added, opened, cleared or acknowledged (counts: cheap, not exact). */
function signature(ctx: LeaderContext): string {
  let open = 0;
  let acked = 0;
  let n = 0;
  for (const a of ctx.store.alerts.values()) {
    n++;
    if (!a.cleared) open++;
    if (a.ack) acked++;
  }
  return `${n}/${open}/${acked}`;
}

export async function syncOnce(ctx: LeaderContext, client: AlertmanagerClient, wallNow: number): Promise<void> {
  const cfg = ctx.cfg.alertmanager;
  const silences = await client.silences();
  const plan = planSync({
    alerts: [...ctx.store.alerts.values()],
    silences,
    now: ctx.now(),
    wallNow,
    intervalMs: cfg.intervalMs,
    silenceMs: cfg.silenceMs,
  });
  await client.pushAlerts(plan.push);
  ctx.deps.metrics.inc("presage_alertmanager_pushes_total", { result: "ok" });
  for (const s of plan.silences) {
    const id = await client.createSilence(s);
    ctx.deps.metrics.inc("presage_alertmanager_silences_created_total");
    ctx.deps.log.info(
      { silence: id, matchers: s.matchers, by: s.createdBy },
      "silence created in Alertmanager for an ack",
    );
  }
  for (const id of plan.expire) await client.expireSilence(id);
  for (const a of plan.acks) {
    if (!ctx.live()) return;
    const { acked } = await intents.ack(ctx, { target: a.id, note: a.note }, a.actor);
    if (acked.length) ctx.deps.metrics.inc("presage_alertmanager_acks_total", undefined, acked.length);
  }
}
