/**
 * Pure capacity and affinity checks shared by the evacuation planner and the load balancer,
 * so both enforce exactly the same rules.
 */
import { HostState, type VmRecord } from "@presage/shared";
import type { FleetView, Headroom, HostView } from "../model.js";

export type HostUsage = {
  cpu: number;
  memoryMiB: number;
  /** anti-affinity groups present on the host, with counts */
  groups: Map<string, number>;
  vms: number;
};

/** CPU a VM is assumed to need when placed: its measured demand, else half its vCPUs. */
export function vmCpu(vm: VmRecord): number {
  return vm.cpuDemand ?? vm.vcpus * 0.5;
}

export function emptyUsage(): HostUsage {
  return { cpu: 0, memoryMiB: 0, groups: new Map(), vms: 0 };
}

export function addVm(u: HostUsage, vm: VmRecord): void {
  u.cpu += vmCpu(vm);
  u.memoryMiB += vm.memoryMiB;
  u.vms += 1;
  if (vm.antiAffinityGroup) u.groups.set(vm.antiAffinityGroup, (u.groups.get(vm.antiAffinityGroup) ?? 0) + 1);
}

export function removeVm(u: HostUsage, vm: VmRecord): void {
  u.cpu -= vmCpu(vm);
  u.memoryMiB -= vm.memoryMiB;
  u.vms -= 1;
  const g = vm.antiAffinityGroup;
  if (g) {
    const n = (u.groups.get(g) ?? 0) - 1;
    if (n > 0) u.groups.set(g, n);
    else u.groups.delete(g);
  }
}

/** Usage per host name, from where each VM runs now. */
export function usageByHost(fleet: FleetView): Map<string, HostUsage> {
  const m = new Map<string, HostUsage>();
  for (const h of fleet.hosts) m.set(h.name, emptyUsage());
  for (const vm of fleet.vms) {
    let u = m.get(vm.host);
    if (!u) {
      u = emptyUsage();
      m.set(vm.host, u);
    }
    addVm(u, vm);
  }
  return m;
}

/** A target must be healthy and reachable: never place onto a suspect, degraded or failed host. */
export function isEligibleTarget(h: HostView): boolean {
  return h.state === HostState.Healthy && h.up !== false;
}

/**
 * Why `vm` cannot go to `host` given the host's current usage, or null if it can.
 * The reason is a sentence fit for an alert or a dry-run listing.
 */
export function placementBlocker(vm: VmRecord, host: HostView, usage: HostUsage, headroom: Headroom): string | null {
  if (!isEligibleTarget(host)) return `${host.name} is ${host.up === false ? "unreachable" : host.state}`;
  if (vm.host === host.name) return `${vm.id} already runs on ${host.name}`;
  const cpuLimit = host.cpuCapacity * (1 - headroom.cpu);
  if (usage.cpu + vmCpu(vm) > cpuLimit + 1e-9)
    return `${host.name} lacks CPU (${(usage.cpu + vmCpu(vm)).toFixed(1)} of ${cpuLimit.toFixed(1)} vCPU allowed)`;
  const memLimit = host.memoryMiB * (1 - headroom.memory);
  if (usage.memoryMiB + vm.memoryMiB > memLimit)
    return `${host.name} lacks memory (${usage.memoryMiB + vm.memoryMiB} of ${Math.floor(memLimit)} MiB allowed)`;
  if (vm.antiAffinityGroup && (usage.groups.get(vm.antiAffinityGroup) ?? 0) > 0)
    return `${host.name} already runs a VM of anti-affinity group ${vm.antiAffinityGroup}`;
  return null;
}
