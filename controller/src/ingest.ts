/**
 * The ingest step, pure: one agent event, the host's open alerts and the controller's clock in;
 * the alerts to store and the lifecycle trigger out. Time is the controller's: an alert opens
 * when the controller saw the event, and an event stamped too far from the controller's clock
 * (a broken or hostile agent clock) is refused before it touches any state.
 */
import type { Alert, HostRecord, SensorEvent } from "@presage/shared";
import { EventKind, Severity } from "@presage/shared";
import { alertsForEvent, CONTROLLER_ALERT_PREFIX } from "./alerts.js";
import { Trigger } from "./lifecycle.js";

export type EventSkew = {
  /** events stamped more than this ahead of the controller's clock are refused */
  maxAheadMs: number;
  /** and more than this behind it */
  maxBehindMs: number;
};

/** Why an event's timestamp is refused, or null when it is within the allowed skew. */
export function skewRefusal(ts: number, now: number, skew: EventSkew): string | null {
  if (ts > now + skew.maxAheadMs) return `stamped ${Math.round((ts - now) / 1000)} s ahead of the controller's clock`;
  if (ts < now - skew.maxBehindMs) return `stamped ${Math.round((now - ts) / 1000)} s behind the controller's clock`;
  return null;
}

export type Ingested = {
  /** alerts to store; `opened` are new ones to publish */
  alerts: Alert[];
  opened: Alert[];
  /** what the event asks of the host's lifecycle, with the fields to set */
  trigger: Trigger | null;
  extra: Partial<HostRecord>;
};

/** `open` looks up any alert by id and iterates the host's open alerts (AlertBook.indexFor). */
export function ingestEvent(ev: SensorEvent, open: ReadonlyMap<string, Alert>, now: number): Ingested {
  const alerts = alertsForEvent(open, ev, now);
  const opened = alerts.filter((a) => !open.has(a.id));
  let trigger: Trigger | null = null;
  if (ev.kind === EventKind.Cleared) trigger = agentAlertsLeft(open, alerts) === 0 ? Trigger.Cleared : null;
  else if (ev.severity === Severity.Critical) trigger = Trigger.Critical;
  else if (ev.severity === Severity.Warning) trigger = Trigger.Warning;
  const extra: Partial<HostRecord> =
    trigger === Trigger.Critical ? { eventId: ev.id, predictedFailureAt: ev.predictedFailureAt } : {};
  return { alerts, opened, trigger, extra };
}

/** Open agent alerts of the host once `changed` is stored. */
function agentAlertsLeft(open: ReadonlyMap<string, Alert>, changed: readonly Alert[]): number {
  const ids = new Set([...open.values()].filter((a) => !a.cleared).map((a) => a.id));
  for (const a of changed) {
    if (a.cleared) ids.delete(a.id);
    else ids.add(a.id);
  }
  return [...ids].filter((id) => !id.startsWith(CONTROLLER_ALERT_PREFIX)).length;
}
