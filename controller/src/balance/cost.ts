/**
 * What a live migration costs, estimated before it starts: pre-copy sends all memory once, then
 * re-sends what the guest dirtied meanwhile, pass after pass. With dirty rate d and bandwidth b the
 * passes form a geometric series, so about memory / (1 - d/b) is copied; when d approaches b the
 * migration does not converge and the balancer must not start it (an evacuation might have to).
 */
import type { VmRecord } from "@presage/shared";

/** Bandwidth assumed for one migration when the caller does not say (about 10 GbE). */
export const DEFAULT_MIGRATION_BANDWIDTH_MIBPS = 1000;

/** Dirty rate, as a fraction of bandwidth, above which pre-copy is treated as not converging. */
export const MAX_DIRTY_FRACTION = 0.8;

export type MigrationCost = {
  /** MiB expected on the wire */
  copyMiB: number;
  /** expected duration at the given bandwidth */
  seconds: number;
};

/** Expected cost of live-migrating `vm`, or null if it would not converge at this bandwidth. */
export function migrationCost(vm: VmRecord, bandwidthMiBps = DEFAULT_MIGRATION_BANDWIDTH_MIBPS): MigrationCost | null {
  const dirtyFraction = (vm.dirtyRateMiBps ?? 0) / bandwidthMiBps;
  if (dirtyFraction >= MAX_DIRTY_FRACTION) return null;
  const copyMiB = vm.memoryMiB / (1 - dirtyFraction);
  return { copyMiB, seconds: copyMiB / bandwidthMiBps };
}
