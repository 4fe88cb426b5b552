/**
 * A fleet as it will look once a plan's moves are done: for dry-run previews, for simulations and for
 * tests that run planning rounds. Pure; the input is not changed.
 *
 * A host's measured `cpuUtilPct` shifts by the moved VM's demand, as the agent will report next, so the
 * host's unattributed CPU (imbalance.ts) stays where it was. A VM moved while at home gets the target as
 * its new home: balancing chooses where a VM lives, unlike an evacuation, which the return undoes.
 */
import type { PlanMove } from "@presage/shared";
import type { FleetView, HostView } from "../model.js";
import { vmCpu } from "../placement/capacity.js";

export function applyMoves(fleet: FleetView, moves: readonly PlanMove[]): FleetView {
  const hosts = new Map<string, HostView>(fleet.hosts.map((h) => [h.name, { ...h }]));
  const vms = new Map(fleet.vms.map((vm) => [vm.id, { ...vm }]));
  const shiftUtil = (name: string, vcpus: number) => {
    const h = hosts.get(name);
    if (h && h.cpuUtilPct != null && h.cpuCapacity > 0)
      h.cpuUtilPct = Math.min(100, Math.max(0, h.cpuUtilPct + (vcpus / h.cpuCapacity) * 100));
  };
  for (const m of moves) {
    const vm = vms.get(m.vm);
    if (!vm || vm.host !== m.from) continue;
    shiftUtil(m.from, -vmCpu(vm));
    shiftUtil(m.to, vmCpu(vm));
    if (vm.home === vm.host) vm.home = m.to;
    vm.host = m.to;
  }
  return { hosts: [...hosts.values()], vms: [...vms.values()] };
}
