/**
 * In which order several hosts (a rack) enter maintenance, under the same safety brake as
 * evacuations: `orderMaintenance(input): MaintenanceOrder`. Pure.
 *
 * The hosts with the least memory to move go first: they empty soonest, so the operator can start
 * work on them soonest, and shortest-first keeps the average wait of the rack lowest. The brake
 * (brake.ts) admits as many as it has room for now; the rest wait, in this order, until hosts leave
 * remediation (maintenance counts as remediation, so a waiting host starts when the operator ends
 * maintenance on an earlier one, or when another evacuation finishes).
 */
import type { HostState } from "@presage/shared";
import { applyBrake, type BrakeSettings } from "../brake.js";
import type { FleetView } from "../model.js";

export type MaintenanceOrder = {
  /** every requested host, in start order */
  order: string[];
  /** the hosts the brake lets enter maintenance now */
  admitNow: string[];
  /** the hosts that wait for the brake, in the order they will go */
  waiting: string[];
  /** memory (MiB) each host must move off */
  memoryToMoveMiB: Record<string, number>;
  /** brake limit and hosts already in remediation */
  limit: number;
  inRemediation: number;
};

export function orderMaintenance(input: {
  /** the hosts asked for; duplicates are ignored */
  hosts: readonly string[];
  fleet: FleetView;
  /** the current state of every host (the brake counts remediation fleet-wide) */
  states: ReadonlyMap<string, HostState>;
  brake: BrakeSettings;
}): MaintenanceOrder {
  const memoryToMoveMiB: Record<string, number> = {};
  for (const h of input.hosts) memoryToMoveMiB[h] = 0;
  for (const vm of input.fleet.vms)
    if (vm.host in memoryToMoveMiB) memoryToMoveMiB[vm.host] = (memoryToMoveMiB[vm.host] ?? 0) + vm.memoryMiB;
  const order = Object.keys(memoryToMoveMiB).sort(
    (a, b) => (memoryToMoveMiB[a] ?? 0) - (memoryToMoveMiB[b] ?? 0) || a.localeCompare(b),
  );
  const { admit, status } = applyBrake(input.brake, input.states, order);
  return {
    order,
    admitNow: admit,
    waiting: status.waiting,
    memoryToMoveMiB,
    limit: status.limit,
    inRemediation: status.inRemediation,
  };
}
