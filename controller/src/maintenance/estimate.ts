/**
 * How long emptying hosts will take: `estimateDrain(moves, fleet, opts): DrainEstimate`. Pure.
 *
 * Replays the moves in their start order under the same concurrency limits the controller applies
 * (`startable` from the evacuation planner): whenever a migration ends, the next moves the limits
 * allow start. Each migration's duration comes from its memory and dirty rate (balance/cost.ts) at
 * `bandwidthMiBps` per migration. Used to warn, before anything moves, when a maintenance deadline
 * cannot be met.
 *
 * *Limitations*: assumes each migration gets its own `bandwidthMiBps` (no shared-link contention) and
 * no failures; a VM that dirties memory too fast to converge is counted at the worst pre-copy cost
 * and listed in `atRisk`.
 */
import type { PlanMove } from "@presage/shared";
import { DEFAULT_MIGRATION_BANDWIDTH_MIBPS, MAX_DIRTY_FRACTION, migrationCost } from "../balance/cost.js";
import type { FleetView } from "../model.js";
import { type InFlight, type Limits, startable } from "../placement/planner.js";

export type DrainEstimate = {
  /** from the first start until the last migration ends */
  seconds: number;
  /** MiB expected on the wire in total */
  copyMiB: number;
  /** seconds after the start until each source host is empty */
  hostEmptyAfterS: Record<string, number>;
  /** VMs whose migration may not converge at this bandwidth */
  atRisk: string[];
};

export function estimateDrain(
  moves: readonly PlanMove[],
  fleet: FleetView,
  opts: { limits: Limits; bandwidthMiBps?: number },
): DrainEstimate {
  const bandwidth = opts.bandwidthMiBps ?? DEFAULT_MIGRATION_BANDWIDTH_MIBPS;
  const vms = new Map(fleet.vms.map((v) => [v.id, v]));
  const atRisk: string[] = [];
  const costMiB = (mv: PlanMove): number => {
    const vm = vms.get(mv.vm);
    const cost = vm ? migrationCost(vm, bandwidth) : { copyMiB: mv.memoryMiB };
    if (cost) return cost.copyMiB;
    atRisk.push(mv.vm);
    return mv.memoryMiB / (1 - MAX_DIRTY_FRACTION);
  };
  const hostEmptyAfterS: Record<string, number> = {};
  let pending = [...moves];
  const running: { move: PlanMove; endS: number }[] = [];
  let now = 0;
  let copyMiB = 0;
  while (pending.length > 0 || running.length > 0) {
    const inFlight: InFlight[] = running.map((r) => r.move);
    const starts = startable(pending, inFlight, opts.limits);
    if (starts.length === 0 && running.length === 0) break; // limits of 0: nothing can ever start
    for (const mv of starts) {
      const c = costMiB(mv);
      copyMiB += c;
      running.push({ move: mv, endS: now + c / bandwidth });
    }
    const started = new Set(starts);
    pending = pending.filter((m) => !started.has(m));
    running.sort((a, b) => a.endS - b.endS);
    const next = running.shift();
    if (!next) break;
    now = next.endS;
    hostEmptyAfterS[next.move.from] = Math.max(hostEmptyAfterS[next.move.from] ?? 0, now);
  }
  return { seconds: now, copyMiB, hostEmptyAfterS, atRisk };
}
