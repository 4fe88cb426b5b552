/**
 * A rebalance as a pure step: from the fleet, the host records, the migration history and the
 * policy to a plan. The operator's request (ops) and the balancing interval (reconcile) both plan
 * through here; only reconcile starts the moves.
 */
import type { HostRecord, MigrationRecord, Plan, PlanMove } from "@presage/shared";
import { type Aggressiveness, planRebalance } from "../balance/planner.js";
import type { ControllerConfig } from "../config.js";
import type { FleetView } from "../model.js";
import { evacuationWorkInFlight } from "../rebalance-pause.js";
import type { FlightInfo } from "../reconcile.js";

export type RebalanceRequest = { dryRun?: boolean; aggressiveness?: number; maxMoves?: number };

/** A stored rebalance plan whose moves the next reconcile pass starts (what the limits allow). */
export type RebalanceIntent = { planId: string; moves: readonly PlanMove[] };

export type RebalanceInput = {
  now: number;
  cfg: ControllerConfig;
  fleet: FleetView;
  records: Iterable<HostRecord>;
  migrations: Iterable<MigrationRecord>;
  inFlight: readonly FlightInfo[];
};

export function rebalancePlan(s: RebalanceInput, req: RebalanceRequest): Plan {
  const { cfg, now, inFlight } = s;
  // per VM: when it last moved and the host it last left (cool-down and the A->B->A rule)
  const lastMoved = new Map<string, number>();
  const lastFrom = new Map<string, string>();
  for (const m of s.migrations) {
    const t = m.finishedAt ?? m.startedAt ?? 0;
    if (t < (lastMoved.get(m.vm) ?? 0)) continue;
    lastMoved.set(m.vm, t);
    lastFrom.set(m.vm, m.from);
  }
  const bandwidthBps = cfg.migration.bandwidthBps;
  const res = planRebalance(s.fleet, {
    aggressiveness: (req.aggressiveness ?? cfg.rebalance.aggressiveness) as Aggressiveness,
    maxMoves: req.maxMoves ?? cfg.rebalance.maxMoves,
    headroom: cfg.headroom,
    now,
    cooldownMs: cfg.rebalance.cooldownMs,
    lastMoved,
    lastFrom,
    evacuationsRunning: evacuationWorkInFlight(s.fleet, [...s.records], inFlight),
    ...(bandwidthBps ? { bandwidthMiBps: bandwidthBps / 1_048_576 } : {}),
    busy: new Set(inFlight.map((f) => f.vm)),
    price: {
      perMove: cfg.rebalance.pricePerMove,
      perGiB: cfg.rebalance.pricePerGiB,
      gainHours: cfg.rebalance.gainHorizonMs / 3_600_000,
    },
  });
  return {
    id: `rebalance-${now}`,
    kind: "rebalance",
    host: null,
    createdAt: now,
    status: req.dryRun ? "proposed" : res.moves.length > 0 ? "executing" : "done",
    reason: res.reason,
    moves: res.moves,
    unplaced: res.skipped,
    imbalanceBefore: res.imbalanceBefore,
    imbalanceAfter: res.imbalanceAfter,
  };
}
