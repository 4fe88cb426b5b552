/**
 * Alerts, as pure functions over a map of alerts: every warning or critical event opens one (the
 * alert id is the event id), a repeat of an open condition refreshes it, `cleared` closes it, an
 * operator's ack records who/when/note, and unacknowledged criticals come due for re-publication
 * every escalation interval. Acknowledging never undoes an action: it only touches alerts.
 */
import { type Alert, Component, ErrorCode, EventKind, OpsError, type SensorEvent, Severity } from "@presage/shared";

/** The alert closed at `now` (controller clock): by a clearing event, a repair, a controller condition gone. */
export const closedAlert = (a: Alert, now: number): Alert => ({ ...a, cleared: true, lastEventAt: now });

/** One open condition: same host, component and sensor. */
const sameCondition = (a: Alert, host: string, component: string, sensor: string | null) =>
  a.host === host && a.component === component && a.sensor === sensor;

/**
 * The alerts an event creates or changes (to be stored), given the alerts so far. `now` is the
 * controller's clock: alerts open and escalate on it, never on the agent's `ev.ts`.
 * Redelivery of an event already seen changes nothing. A `cleared` closes only what it is newer than (by the
 * agent's stamps): an outbox that replays an old clearing after a reconnect must not end a later critical.
 */
export function alertsForEvent(alerts: ReadonlyMap<string, Alert>, ev: SensorEvent, now: number): Alert[] {
  if (alerts.has(ev.id)) return [];
  const open = [...alerts.values()].filter((a) => !a.cleared && sameCondition(a, ev.host, ev.component, ev.sensor));
  if (ev.kind === EventKind.Cleared)
    return open.filter((a) => (a.eventTs ?? ev.ts) <= ev.ts).map((a) => closedAlert(a, now));
  if (ev.severity === Severity.Info) return [];
  const same = open.find((a) => a.severity === ev.severity);
  if (same) return [{ ...same, lastEventAt: now, eventTs: Math.max(same.eventTs ?? ev.ts, ev.ts), reason: ev.reason }];
  return [
    {
      id: ev.id,
      host: ev.host,
      severity: ev.severity,
      component: ev.component,
      sensor: ev.sensor,
      reason: ev.reason,
      openedAt: now,
      lastEventAt: now,
      eventTs: ev.ts,
      cleared: false,
      ack: null,
      escalations: 0,
      // common-cause recognition reads it (common-cause.ts)
      ...(ev.cause ? { cause: ev.cause } : {}),
    },
  ];
}

/** An alert the controller raises itself (capacity shortfall, brake, lost heartbeats). */
export function controllerAlert(
  id: string,
  host: string,
  severity: Severity,
  reason: string,
  now: number,
  component: Component = Component.Host,
): Alert {
  return {
    id,
    host,
    severity,
    component,
    sensor: null,
    reason,
    openedAt: now,
    lastEventAt: now,
    cleared: false,
    ack: null,
    escalations: 0,
  };
}

/**
 * Acknowledge by alert id, or by host (or incident rack) name: every unacknowledged alert filed under it.
 * Throws unknown_event when the target is none of these.
 */
export function ackAlerts(
  alerts: ReadonlyMap<string, Alert>,
  target: string,
  by: string,
  note: string,
  now: number,
  knownHost: (h: string) => boolean,
): Alert[] {
  const ack = { by, at: now, note };
  const one = alerts.get(target);
  if (one) return one.ack ? [] : [{ ...one, ack }];
  const of = [...alerts.values()].filter((a) => a.host === target);
  // a rack's common-cause incident is filed under the rack's name, so `presage ack <rack>` works too
  if (!knownHost(target) && of.length === 0)
    throw new OpsError(ErrorCode.UnknownEvent, `no alert, host or rack named ${JSON.stringify(target)}`);
  return of.filter((a) => !a.ack).map((a) => ({ ...a, ack }));
}

/** Open, unacknowledged critical alerts whose next escalation time has come. */
export function dueEscalations(alerts: Iterable<Alert>, now: number, intervalMs: number): Alert[] {
  const due: Alert[] = [];
  for (const a of alerts) {
    if (a.severity !== Severity.Critical || a.ack || a.cleared) continue;
    if (now >= a.openedAt + (a.escalations + 1) * intervalMs) due.push(a);
  }
  return due;
}

/** Ids of alerts raised by the controller itself start with this. */
export const CONTROLLER_ALERT_PREFIX = "ctl-";
