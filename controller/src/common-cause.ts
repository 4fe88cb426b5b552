/**
 * Common-cause recognition, pure: critical events whose cause is the environment (a hot room or rack, event field
 * `cause`) from several hosts of one rack, or from a large share of the fleet, within a short window are one
 * incident, not that many sick hosts. Emptying the rack would move its load onto the rest of a room that may be
 * short of cooling too, and no host is at fault: its hosts are held (they stay degraded and watched, no
 * evacuation) until the cause clears (the agents clear their events) or an operator decides: acknowledging the
 * incident's alert releases them under the normal safety brake; maintenance of the rack drains them as planned.
 * A lone host with a hot inlet (a blocked front panel) waits `settleMs` for rack-mates, then is evacuated as any
 * degraded host.
 */
import { type Alert, EventCause, type HostRecord, HostState, Severity } from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX } from "./alerts.js";
import type { HostView } from "./model.js";

export type CommonCauseSettings = {
  /** this many hosts of one rack with environment-caused criticals within `windowMs` are one incident */
  rackMinHosts: number;
  /** so are this percent of the fleet (and at least `rackMinHosts` hosts), whatever their racks */
  fleetMinPercent: number;
  windowMs: number;
  /** a host's environment-caused critical waits this long for others before it alone is evacuated */
  settleMs: number;
};

export type Incident = {
  /** the controller alert's id: ctl-cooling-<scope>-<first critical, controller ms> */
  id: string;
  /** the rack's name, or "fleet" */
  scope: string;
  /** the degraded hosts the incident covers, by name */
  hosts: string[];
  /** when the first of them reported */
  since: number;
  /** an operator acknowledged the incident: its hosts go under the normal brake */
  acked: boolean;
  /** the first host's reason, for the alert */
  sample: string;
};

export type CommonCause = {
  incidents: Incident[];
  /** hosts that may not start an evacuation now: in an unacknowledged incident, or settling */
  held: Set<string>;
  /** open incident alerts whose hosts are all gone from it (cleared, or released and evacuating) */
  resolved: string[];
};

/** The scope of an incident spread over racks (or over hosts without one). */
const FLEET = "fleet";

/** Incident alert ids start with this. */
export const INCIDENT_ALERT_PREFIX = `${CONTROLLER_ALERT_PREFIX}cooling-`;

type EnvHost = { host: string; rack: string | null; since: number; reason: string };

/**
 * Degraded hosts whose every open critical agent alert names the environment, with the earliest opening: a host
 * that also has a fault of its own is not held for the room.
 */
function environmentHosts(
  records: ReadonlyMap<string, HostRecord>,
  hosts: readonly HostView[],
  alerts: ReadonlyMap<string, Alert>,
): EnvHost[] {
  const first = new Map<string, Alert | null>();
  for (const a of alerts.values()) {
    if (a.cleared || a.severity !== Severity.Critical || a.id.startsWith(CONTROLLER_ALERT_PREFIX)) continue;
    if (records.get(a.host)?.state !== HostState.Degraded) continue;
    const prev = first.get(a.host);
    if (prev === null) continue;
    if (a.cause !== EventCause.Environment) first.set(a.host, null);
    else if (!prev || a.openedAt < prev.openedAt) first.set(a.host, a);
  }
  // an empty rack name is no rack (the alert's host, its scope, must not be empty)
  const rack = new Map(hosts.map((h) => [h.name, h.rack || null]));
  const out: EnvHost[] = [];
  for (const [host, a] of first)
    if (a) out.push({ host, rack: rack.get(host) ?? null, since: a.openedAt, reason: a.reason });
  return out.sort((a, b) => a.since - b.since || a.host.localeCompare(b.host));
}

/** The first time from which `min` of `group` (sorted by since) reported within `windowMs`, or null. */
function clusterStart(group: readonly EnvHost[], min: number, windowMs: number): number | null {
  for (let i = 0; i + min - 1 < group.length; i++) {
    const a = group[i] as EnvHost;
    if ((group[i + min - 1] as EnvHost).since - a.since <= windowMs) return a.since;
  }
  return null;
}

/**
 * The incidents now, and which hosts they hold. An incident's open alert (host = its scope) keeps it alive while
 * any of its scope's hosts is still degraded by the room, however few: hosts clearing one by one, or released by
 * an acknowledgement into the brake, never turn the last ones into lone hosts that are evacuated.
 */
export function commonCause(
  s: CommonCauseSettings,
  input: {
    now: number;
    records: ReadonlyMap<string, HostRecord>;
    hosts: readonly HostView[];
    alerts: ReadonlyMap<string, Alert>;
  },
): CommonCause {
  const env = environmentHosts(input.records, input.hosts, input.alerts);
  const open = new Map<string, Alert>();
  for (const a of input.alerts.values()) if (!a.cleared && a.id.startsWith(INCIDENT_ALERT_PREFIX)) open.set(a.host, a);
  const incidents: Incident[] = [];
  const consider = (scope: string, group: EnvHost[], min: number) => {
    const known = open.get(scope);
    const since = known ? null : clusterStart(group, min, s.windowMs);
    if (!known && since === null) return;
    const hosts = known ? group : group.filter((h) => h.since >= (since as number));
    if (!hosts.length) return;
    incidents.push({
      id: known?.id ?? `${INCIDENT_ALERT_PREFIX}${scope}-${since}`,
      scope,
      hosts: hosts.map((h) => h.host).sort(),
      since: known?.openedAt ?? (since as number),
      acked: !!known?.ack,
      sample: (hosts[0] as EnvHost).reason,
    });
  };
  const byRack = new Map<string, EnvHost[]>();
  for (const h of env) {
    if (h.rack === null) continue;
    const group = byRack.get(h.rack);
    if (group) group.push(h);
    else byRack.set(h.rack, [h]);
  }
  for (const [rack, group] of byRack) consider(rack, group, s.rackMinHosts);
  const covered = new Set(incidents.flatMap((i) => i.hosts));
  const fleetMin = Math.max(s.rackMinHosts, Math.ceil((s.fleetMinPercent * input.hosts.length) / 100));
  consider(
    FLEET,
    env.filter((h) => !covered.has(h.host)),
    fleetMin,
  );

  const held = new Set(incidents.flatMap((i) => (i.acked ? [] : i.hosts)));
  const inIncident = new Set(incidents.flatMap((i) => i.hosts));
  for (const h of env) if (!inIncident.has(h.host) && input.now < h.since + s.settleMs) held.add(h.host);
  const live = new Set(incidents.map((i) => i.id));
  const resolved = [...open.values()].filter((a) => !live.has(a.id)).map((a) => a.id);
  return { incidents, held, resolved };
}
