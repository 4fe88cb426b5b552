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

/**
 * The price of a move in imbalance-hours (DRS's cost-benefit step): a fixed price per migration
 * (the switch-over pause, the risk of a failed copy, the operator noise) plus a price per GiB
 * copied (bandwidth taken from the guests). A move is made only if its expected gain, the
 * imbalance it removes times how long that is expected to last, exceeds this price.
 *
 * Imbalance is counted as the weighted sum of squared load deviations (imbalance.ts `ss`, n ·
 * score²): one move changes it by about as much on 100 hosts as on 10,000, so one price fits any
 * fleet size.
 */
export type MovePrice = {
  /** imbalance-hours one migration costs, whatever its size */
  perMove: number;
  /** imbalance-hours each GiB copied costs */
  perGiB: number;
  /** hours a move's gain is expected to last (demand drifts; the cool-down keeps the VM there) */
  gainHours: number;
};

export const DEFAULT_MOVE_PRICE: Readonly<MovePrice> = { perMove: 0.02, perGiB: 0.0005, gainHours: 2 };

/** Cost and expected gain of one move, both in imbalance-hours; it pays for itself iff gain > cost. */
export type CostBenefit = { gain: number; cost: number };

/** `ssDrop`: how much the move lowers the weighted sum of squared deviations; `copyMiB` from migrationCost. */
export function costBenefit(ssDrop: number, copyMiB: number, price: MovePrice): CostBenefit {
  return { gain: ssDrop * price.gainHours, cost: price.perMove + (price.perGiB * copyMiB) / 1024 };
}
