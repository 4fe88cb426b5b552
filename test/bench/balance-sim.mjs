// The simulated fleet of `pnpm bench:balance`: skewed placement, a daily demand wave per workload class
// and a random walk per VM. Shared by the bench (balance.mjs) and its upper bounds (balance-bound.mjs).
import { seededRandom as rng } from "../../shared/dist/random.js";

const MIN = 60_000;
export const HOUR = 60 * MIN;
export const ROUND = 15 * MIN; // the controller's automatic rebalance period in this run
export const DAY_ROUNDS = (24 * HOUR) / ROUND;
export const HEADROOM = { cpu: 0.1, memory: 0.1 };
const CLASSES = 8; // workload classes with their own daily peak (web by day, batch by night, ...)

/**
 * A skewed fleet: VMs of one workload class cluster on neighbouring hosts (tenants are placed
 * together), and a fifth of the hosts start with twice the VMs of the rest.
 */
export function makeFleet(nHosts, seed) {
  const r = rng(seed);
  const hosts = [];
  for (let i = 0; i < nHosts; i++)
    hosts.push({ name: `h${i}`, state: "healthy", up: true, cpuCapacity: 48, memoryMiB: 384 * 1024, cpuUtilPct: 0 });
  const overhead = hosts.map(() => 0.5 + r() * 2);
  const vms = [];
  const profile = new Map();
  for (let i = 0; i < nHosts; i++) {
    const perHost = i % 5 === 0 ? 18 : 9;
    const cls = Math.floor((i / nHosts) * CLASSES);
    for (let k = 0; k < perHost; k++) {
      const vcpus = [2, 4, 4, 8, 8, 16][Math.floor(r() * 6)];
      const id = `vm${vms.length}`;
      vms.push({
        id,
        host: `h${i}`,
        home: `h${i}`,
        vcpus,
        memoryMiB: vcpus * 2048 * (1 + Math.floor(r() * 2)),
        dirtyRateMiBps: Math.round(r() ** 3 * 600),
        cpuDemand: 0,
      });
      profile.set(id, { base: 0.15 + r() * 0.35, amp: 0.3 + r() * 0.6, phase: (cls / CLASSES) * 2 * Math.PI, walk: 0 });
    }
  }
  return { fleet: { hosts, vms }, profile, overhead, r };
}

/** A VM's demand as a fraction of its vCPUs at time t: its class's daily wave plus its walk. */
export function demandFraction(p, t, walk) {
  const day = (2 * Math.PI * t) / (24 * HOUR);
  return Math.max(0.02, Math.min(1, p.base * (1 + p.amp * Math.sin(day + p.phase)) + walk));
}

/**
 * Demand at time t: a daily wave per class plus a slow random walk per VM. The agent then measures it.
 * The walk draws from `r` once per VM per call, in fleet order, whatever the placement: every strategy
 * (and the bounds) sees the same demand.
 */
export function drift(fleet, profile, overhead, r, t) {
  const vms = fleet.vms.map((vm) => {
    const p = profile.get(vm.id);
    p.walk = Math.max(-0.2, Math.min(0.2, p.walk + (r() - 0.5) * 0.04));
    return { ...vm, cpuDemand: demandFraction(p, t, p.walk) * vm.vcpus };
  });
  const used = new Map();
  for (const vm of vms) used.set(vm.host, (used.get(vm.host) ?? 0) + vm.cpuDemand);
  const hosts = fleet.hosts.map((h, i) => ({
    ...h,
    cpuUtilPct: Math.min(100, (100 * ((used.get(h.name) ?? 0) + overhead[i])) / h.cpuCapacity),
  }));
  return { hosts, vms };
}
