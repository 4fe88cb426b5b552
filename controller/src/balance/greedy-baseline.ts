/**
 * The plain greedy balancer the benchmark compares against: "move the biggest VM off the busiest
 * host" onto the least busy one, as long as that leaves the target below the source's load. It obeys
 * the same safety rules (placementBlocker: healthy targets, headroom, anti-affinity) but knows nothing
 * of gain, migration cost or cool-down. Not used by the controller.
 */
import type { PlanMove, VmRecord } from "@presage/shared";
import type { FleetView, Headroom, HostView } from "../model.js";
import { addVm, type HostUsage, placementBlocker, removeVm, vmCpu } from "../placement/capacity.js";
import { balancedHosts, demandByHost } from "./imbalance.js";

export function planGreedyBaseline(fleet: FleetView, opts: { maxMoves: number; headroom: Headroom }): PlanMove[] {
  const hosts = balancedHosts(fleet);
  if (hosts.length < 2) return [];
  const usage = demandByHost(fleet);
  const usageOf = (h: HostView) => usage.get(h.name) as HostUsage;
  const cpuLoad = (h: HostView) => usageOf(h).cpu / h.cpuCapacity;
  const vmsOn = new Map<string, VmRecord[]>(hosts.map((h) => [h.name, []]));
  for (const vm of fleet.vms) vmsOn.get(vm.host)?.push(vm);
  const moved = new Set<string>();
  const moves: PlanMove[] = [];
  while (moves.length < opts.maxMoves) {
    let busiest = hosts[0] as HostView;
    let idlest = hosts[0] as HostView;
    for (const h of hosts) {
      if (cpuLoad(h) > cpuLoad(busiest)) busiest = h;
      if (cpuLoad(h) < cpuLoad(idlest)) idlest = h;
    }
    const biggestFirst = (vmsOn.get(busiest.name) ?? []).filter((v) => !moved.has(v.id));
    biggestFirst.sort((a, b) => vmCpu(b) - vmCpu(a));
    const vm = biggestFirst.find(
      (v) =>
        cpuLoad(idlest) + vmCpu(v) / idlest.cpuCapacity < cpuLoad(busiest) &&
        !placementBlocker(v, idlest, usageOf(idlest), opts.headroom),
    );
    if (!vm) break;
    removeVm(usageOf(busiest), vm);
    addVm(usageOf(idlest), vm);
    const from = vmsOn.get(busiest.name) as VmRecord[];
    from.splice(from.indexOf(vm), 1);
    vmsOn.get(idlest.name)?.push(vm);
    moved.add(vm.id);
    moves.push({ vm: vm.id, from: busiest.name, to: idlest.name, memoryMiB: vm.memoryMiB });
  }
  return moves;
}
