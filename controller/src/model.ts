/** The controller's view of the fleet, as pure data: the input of placement, planning and balancing. */
import type { HostState, VmRecord } from "@presage/shared";

export type HostView = {
  name: string;
  state: HostState;
  /** vCPUs offered to VMs */
  cpuCapacity: number;
  memoryMiB: number;
  /** last utilisation the agent reported (0..100), null when unknown */
  cpuUtilPct?: number | null;
  /** failure domain (rack) if configured */
  rack?: string | null;
  /** engine says the host is reachable */
  up?: boolean;
};

export type FleetView = {
  hosts: HostView[];
  vms: VmRecord[];
};

/** Fraction of each resource kept free on every target (DRS-style headroom). */
export type Headroom = {
  /** 0..1 of cpuCapacity that placement must leave free */
  cpu: number;
  /** 0..1 of memoryMiB that placement must leave free */
  memory: number;
};
