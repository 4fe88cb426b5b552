/**
 * What a reconcile pass does about common-cause incidents (common-cause.ts): one critical controller alert per
 * incident (audited by the applier; its hosts are held by admitDegraded), and the alert cleared once the incident
 * is over.
 */
import { Severity } from "@presage/shared";
import type { CommonCause, Incident } from "../common-cause.js";
import type { Action } from "../reconcile.js";

const few = (hosts: readonly string[]) => `${hosts.slice(0, 8).join(", ")}${hosts.length > 8 ? ", ..." : ""}`;

function describe(i: Incident): string {
  const what = i.scope === "fleet" ? "hosts across the fleet" : `hosts of ${i.scope}`;
  return (
    `cooling incident: ${i.hosts.length} ${what} report critical temperatures caused by their room or rack ` +
    `(${few(i.hosts)}; first: ${i.sample}). One cause, not ${i.hosts.length} sick hosts: they are held, not ` +
    `evacuated, until the room is back; ack ${i.id} to release them under the safety brake, or put the rack ` +
    "into maintenance"
  );
}

export function incidentActions(cc: CommonCause): Action[] {
  const out: Action[] = [];
  for (const i of cc.incidents)
    out.push({ kind: "alert", id: i.id, host: i.scope, severity: Severity.Critical, reason: describe(i) });
  for (const id of cc.resolved)
    out.push({ kind: "alert-clear", id, reason: "no host of the incident is degraded by its room any more" });
  return out;
}
