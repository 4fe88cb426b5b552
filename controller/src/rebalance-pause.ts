/**
 * When balancing must wait: `evacuationWorkInFlight(fleet, records, inFlight): boolean`. Pure.
 *
 * Balancing pauses only while real evacuation work runs, so it never competes with it for
 * migration slots or targets: a migration in flight that is not a rebalance, a `degraded` host
 * (about to be emptied), or a draining host (`evacuating`, `maintenance`) that still has VMs. An
 * emptied host that sits in maintenance for hours does not stop the rest of the fleet from balancing.
 */
import { type HostRecord, HostState } from "@presage/shared";
import { DRAINING_STATES } from "./lifecycle.js";
import type { FleetView } from "./model.js";
import type { FlightInfo } from "./reconcile.js";

export function evacuationWorkInFlight(
  fleet: FleetView,
  records: readonly HostRecord[],
  inFlight: readonly FlightInfo[],
): boolean {
  if (inFlight.some((f) => f.purpose !== "rebalance")) return true;
  const occupied = new Set(fleet.vms.map((v) => v.host));
  return records.some(
    (r) => r.state === HostState.Degraded || (DRAINING_STATES.includes(r.state) && occupied.has(r.host)),
  );
}
