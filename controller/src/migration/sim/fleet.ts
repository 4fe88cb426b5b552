/**
 * Reproducible synthetic fleets for the demo, chaos tests and benchmarks. One pass, no per-VM
 * allocation beyond the records themselves: 10,000 hosts / 200,000 VMs take well under a second.
 */
import { type Check, checkOf, pickWeighted, seededRandom } from "@presage/shared";
import { type SimFleet, SimFleetSchema, type SimHostSpec, type SimVmSpec } from "./model.js";

export type FleetOptions = {
  hosts: number;
  vmsPerHost: number;
  seed?: number;
  /** vCPUs per host. Default 64 */
  cpuCapacity?: number;
  /** per host. Default 524288 (512 GiB) */
  memoryMiB?: number;
  /** hosts per rack (rack names r000, r001, ...). Default 20 */
  hostsPerRack?: number;
  /** keep each host's VM memory at or below this fraction of its memory. Default 0.7 */
  maxFill?: number;
  /** prefix of host names. Default "host" */
  hostPrefix?: string;
};

const MEMORY_CHOICES = [
  [1024, 2],
  [2048, 4],
  [4096, 5],
  [8192, 4],
  [16384, 2],
  [32768, 1],
] as const;
/** idle, typical, busy databases, pathological writers (MiB/s) */
const DIRTY_CHOICES = [
  [0, 2],
  [5, 4],
  [30, 3],
  [120, 1],
] as const;

const ZEROS = "0000000000";
const pad = (n: number, width: number) => {
  const t = String(n);
  return t.length >= width ? t : ZEROS.slice(0, width - t.length) + t;
};

export function generateFleet(o: FleetOptions): SimFleet {
  const rnd = seededRandom(o.seed ?? 1);
  const cpuCapacity = o.cpuCapacity ?? 64;
  const memoryMiB = o.memoryMiB ?? 524_288;
  const perRack = o.hostsPerRack ?? 20;
  const maxFill = o.maxFill ?? 0.7;
  const prefix = o.hostPrefix ?? "host";
  const hw = Math.max(4, String(o.hosts).length);
  const vw = Math.max(6, String(o.hosts * o.vmsPerHost).length);
  const hosts: SimHostSpec[] = new Array(o.hosts);
  const vms: SimVmSpec[] = [];
  let vmNo = 0;
  for (let h = 0; h < o.hosts; h++) {
    const name = `${prefix}-${pad(h, hw)}`;
    hosts[h] = { name, cpuCapacity, memoryMiB, rack: `r${pad(Math.floor(h / perRack), 3)}` };
    let memLeft = memoryMiB * maxFill;
    let cpuLeft = cpuCapacity * maxFill;
    for (let i = 0; i < o.vmsPerHost; i++) {
      let mem: number = pickWeighted(rnd, MEMORY_CHOICES);
      while (mem > memLeft && mem > 512) mem /= 2;
      const vcpus = Math.max(1, Math.min(16, mem / 2048));
      const demand = Math.round(vcpus * (0.1 + 0.7 * rnd()) * 100) / 100;
      if (mem > memLeft || demand > cpuLeft) break;
      memLeft -= mem;
      cpuLeft -= demand;
      vms.push({
        id: `vm-${pad(vmNo++, vw)}`,
        host: name,
        memoryMiB: mem,
        vcpus,
        cpuDemand: demand,
        dirtyRateMiBps: pickWeighted(rnd, DIRTY_CHOICES),
      });
    }
  }
  return { hosts, vms };
}

/** A fleet file: `{ "hosts": [...], "vms": [...] }` as SimFleet. */
export const fleetCheck: Check = checkOf(SimFleetSchema);
