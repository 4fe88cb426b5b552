/**
 * How uneven the fleet's load is: the measure the load balancer minimises.
 *
 * *Description*: each healthy, reachable host gets a normalised CPU load (demand / cpuCapacity) and a
 * normalised memory load (allocated MiB / memoryMiB). Imbalance is the population standard deviation of
 * these loads over those hosts, as VMware DRS does; `score` folds both into one number:
 * `score = sqrt(varCpu + memoryWeight * varMemory)`.
 *
 * CPU demand of a host combines both sources of truth: the sum of its VMs' `cpuDemand` (the engine's
 * per-VM figures, `vmCpu` falls back to half the vCPUs) plus the part of the agent's measured
 * `cpuUtilPct` that no VM accounts for (hypervisor, emulator threads, unmanaged guests). That unattributed
 * overhead stays on the host when VMs leave; when the measurement is lower than the VMs' sum (stale
 * reading, or guessed VM demand) the VM figures win, since they are what moves.
 *
 * *Limitations*: memory is allocation, not working set; hosts that are not healthy are left out of the
 * measure (their VMs belong to the health logic).
 */
import type { FleetView, HostView } from "../model.js";
import { emptyUsage, type HostUsage, isEligibleTarget, usageByHost } from "../placement/capacity.js";

/** Weight of memory variance against CPU variance in `score`. CPU is what balancing is mainly for. */
export const DEFAULT_MEMORY_WEIGHT = 0.5;

export type Imbalance = {
  /** standard deviation of normalised CPU load over the balanced hosts */
  cpu: number;
  /** standard deviation of normalised memory load over the balanced hosts */
  memory: number;
  /** sqrt(varCpu + memoryWeight * varMemory): the number the balancer lowers */
  score: number;
  /** how many hosts the measure covers */
  hosts: number;
};

/** Hosts the balancer may take VMs from and put VMs on: healthy, reachable, with some capacity. */
export function balancedHosts(fleet: FleetView): HostView[] {
  return fleet.hosts.filter((h) => isEligibleTarget(h) && h.cpuCapacity > 0 && h.memoryMiB > 0);
}

/** CPU (in vCPUs) the agent measured on the host that its VMs do not account for. */
export function unattributedCpu(host: HostView, vmCpuSum: number): number {
  if (host.cpuUtilPct == null || !Number.isFinite(host.cpuUtilPct)) return 0;
  return Math.max(0, (host.cpuUtilPct / 100) * host.cpuCapacity - vmCpuSum);
}

/**
 * Usage per host as the balancer sees it: `usageByHost` with each host's unattributed CPU added to
 * `cpu`, so capacity checks (placementBlocker) and the imbalance measure count the same demand.
 */
export function demandByHost(fleet: FleetView): Map<string, HostUsage> {
  const usage = usageByHost(fleet);
  for (const h of fleet.hosts) {
    const u = usage.get(h.name);
    if (u) u.cpu += unattributedCpu(h, u.cpu);
  }
  return usage;
}

/**
 * Running sums of normalised loads, so the effect of one move on the imbalance costs O(1) to
 * evaluate. `ss` is the weighted sum of squared deviations, n * score^2: unlike the standard
 * deviation it does not shrink as the fleet grows, so one minimum-gain threshold fits any fleet size.
 */
export class LoadStats {
  #n = 0;
  #c = 0;
  #c2 = 0;
  #m = 0;
  #m2 = 0;
  constructor(
    readonly memoryWeight: number = DEFAULT_MEMORY_WEIGHT,
    hosts: Iterable<{ cpu: number; mem: number }> = [],
  ) {
    for (const h of hosts) this.add(h.cpu, h.mem);
  }
  add(cpu: number, mem: number): void {
    this.#n += 1;
    this.#c += cpu;
    this.#c2 += cpu * cpu;
    this.#m += mem;
    this.#m2 += mem * mem;
  }
  get hosts(): number {
    return this.#n;
  }
  /** weighted sum of squared deviations from the mean (n * score^2) */
  get ss(): number {
    return this.#ssOf(this.#c, this.#c2, this.#m, this.#m2);
  }
  measure(): Imbalance {
    const n = this.#n;
    if (n === 0) return { cpu: 0, memory: 0, score: 0, hosts: 0 };
    const varCpu = Math.max(0, this.#c2 / n - (this.#c / n) ** 2);
    const varMem = Math.max(0, this.#m2 / n - (this.#m / n) ** 2);
    return {
      cpu: Math.sqrt(varCpu),
      memory: Math.sqrt(varMem),
      score: Math.sqrt(varCpu + this.memoryWeight * varMem),
      hosts: n,
    };
  }
  /** `ss` after replacing two hosts' loads (before -> after); nothing is changed */
  ssAfter(from: HostLoadChange, to: HostLoadChange): number {
    const c = this.#c - from.cpu[0] + from.cpu[1] - to.cpu[0] + to.cpu[1];
    const c2 = this.#c2 - from.cpu[0] ** 2 + from.cpu[1] ** 2 - to.cpu[0] ** 2 + to.cpu[1] ** 2;
    const m = this.#m - from.mem[0] + from.mem[1] - to.mem[0] + to.mem[1];
    const m2 = this.#m2 - from.mem[0] ** 2 + from.mem[1] ** 2 - to.mem[0] ** 2 + to.mem[1] ** 2;
    return this.#ssOf(c, c2, m, m2);
  }
  /** apply the change that ssAfter evaluated */
  apply(from: HostLoadChange, to: HostLoadChange): void {
    for (const h of [from, to]) {
      this.#c += h.cpu[1] - h.cpu[0];
      this.#c2 += h.cpu[1] ** 2 - h.cpu[0] ** 2;
      this.#m += h.mem[1] - h.mem[0];
      this.#m2 += h.mem[1] ** 2 - h.mem[0] ** 2;
    }
  }
  #ssOf(c: number, c2: number, m: number, m2: number): number {
    const n = this.#n;
    if (n === 0) return 0;
    return Math.max(0, c2 - (c * c) / n) + this.memoryWeight * Math.max(0, m2 - (m * m) / n);
  }
}

/** One host's normalised loads before and after a move: [before, after]. */
export type HostLoadChange = { cpu: [number, number]; mem: [number, number] };

export function normalisedLoad(host: HostView, usage: HostUsage): { cpu: number; mem: number } {
  return { cpu: usage.cpu / host.cpuCapacity, mem: usage.memoryMiB / host.memoryMiB };
}

/** The fleet's imbalance now. */
export function measureImbalance(fleet: FleetView, memoryWeight = DEFAULT_MEMORY_WEIGHT): Imbalance {
  const usage = demandByHost(fleet);
  const loads = balancedHosts(fleet).map((h) => normalisedLoad(h, usage.get(h.name) ?? emptyUsage()));
  return new LoadStats(memoryWeight, loads).measure();
}
