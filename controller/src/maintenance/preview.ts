/**
 * The dry run of planned maintenance, and what the controller can show before anything moves:
 * `previewMaintenance(input): MaintenancePreview`. Pure.
 *
 * Places every VM of all requested hosts at once with the evacuation planner (so no VM is placed on
 * another host of the same rack), orders the hosts under the brake (order.ts), estimates when each
 * host will be empty (estimate.ts) and checks that against the deadline. `lines` says all of it in
 * plain sentences, for `presage maintenance enter --dry-run` and for the audit record.
 */
import type { HostState, PlanMove } from "@presage/shared";
import type { BrakeSettings } from "../brake.js";
import type { FleetView, Headroom } from "../model.js";
import { type InFlight, type Limits, planEvacuation } from "../placement/planner.js";
import { type DrainEstimate, estimateDrain } from "./estimate.js";
import { type MaintenanceOrder, orderMaintenance } from "./order.js";

export type MaintenanceRequest = {
  hosts: readonly string[];
  /** ms; when the hosts must be empty, null = no deadline */
  deadline?: number | null;
  /** ms; when to start, null or past = now */
  at?: number | null;
};

export type MaintenancePreview = {
  order: MaintenanceOrder;
  /** every move, in start order (hosts in `order.order`) */
  moves: PlanMove[];
  unplaced: { vm: string; reason: string }[];
  /** when the first wave starts, ms */
  startAt: number;
  /** estimate for the hosts admitted now (the waiting ones start when the brake frees) */
  estimate: DrainEstimate;
  /** expected time (ms) the admitted hosts are all empty */
  expectedEmptyAt: number;
  /** false when the estimate misses the deadline or VMs cannot be placed; null without a deadline */
  deadlineMet: boolean | null;
  /** the plan in sentences, first line a summary */
  lines: string[];
};

export function previewMaintenance(
  req: MaintenanceRequest,
  ctx: {
    fleet: FleetView;
    states: ReadonlyMap<string, HostState>;
    brake: BrakeSettings;
    limits: Limits;
    headroom: Headroom;
    now: number;
    inFlight?: readonly InFlight[];
    bandwidthMiBps?: number;
  },
): MaintenancePreview {
  const order = orderMaintenance({ hosts: req.hosts, fleet: ctx.fleet, states: ctx.states, brake: ctx.brake });
  const rank = new Map(order.order.map((h, i) => [h, i]));
  const plan = planEvacuation({
    fleet: ctx.fleet,
    sources: order.order.map((host, i) => ({ host, predictedFailureAt: i })),
    headroom: ctx.headroom,
    ...(ctx.inFlight ? { inFlight: ctx.inFlight } : {}),
  });
  const moves = [...plan.moves].sort((a, b) => (rank.get(a.from) ?? 0) - (rank.get(b.from) ?? 0));
  const admitted = new Set(order.admitNow);
  const estimate = estimateDrain(
    moves.filter((m) => admitted.has(m.from)),
    ctx.fleet,
    ctx.bandwidthMiBps !== undefined
      ? { limits: ctx.limits, bandwidthMiBps: ctx.bandwidthMiBps }
      : { limits: ctx.limits },
  );
  const startAt = req.at != null && req.at > ctx.now ? req.at : ctx.now;
  const expectedEmptyAt = startAt + Math.ceil(estimate.seconds * 1000);
  const deadline = req.deadline ?? null;
  const deadlineMet =
    deadline === null ? null : plan.unplaced.length === 0 && order.waiting.length === 0 && expectedEmptyAt <= deadline;
  return {
    order,
    moves,
    unplaced: plan.unplaced,
    startAt,
    estimate,
    expectedEmptyAt,
    deadlineMet,
    lines: describe(order, moves, plan.unplaced, estimate, startAt, deadline, deadlineMet, ctx.now),
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const dur = (s: number) =>
  s < 120 ? `${Math.ceil(s)} s` : s < 7200 ? `${Math.ceil(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

function describe(
  order: MaintenanceOrder,
  moves: readonly PlanMove[],
  unplaced: readonly { vm: string; reason: string }[],
  est: DrainEstimate,
  startAt: number,
  deadline: number | null,
  deadlineMet: boolean | null,
  now: number,
): string[] {
  const n = order.order.length;
  const lines = [
    `${n} host(s) to maintenance, ${moves.length} VM(s) to move (${gib(est.copyMiB)} for the first wave), ` +
      `${unplaced.length} cannot be placed; starting ${startAt > now ? `at ${iso(startAt)}` : "now"}`,
  ];
  lines.push(
    order.waiting.length === 0
      ? `all ${n} enter now (safety brake: ${order.inRemediation} of at most ${order.limit} hosts in remediation)`
      : `safety brake: ${order.inRemediation} of at most ${order.limit} hosts in remediation; ${order.admitNow.length} ` +
          `enter now (${order.admitNow.join(", ") || "none"}), ${order.waiting.length} wait in this order: ${order.waiting.join(", ")}`,
  );
  for (const host of order.order) {
    const own = moves.filter((m) => m.from === host);
    const targets = [...new Set(own.map((m) => m.to))];
    const when = order.admitNow.includes(host)
      ? `empty after about ${dur(est.hostEmptyAfterS[host] ?? 0)}`
      : "waits for the brake";
    lines.push(
      `${host}: ${own.length} VM(s), ${gib(order.memoryToMoveMiB[host] ?? 0)} -> ${targets.join(", ") || "nothing to move"}; ${when}`,
    );
  }
  for (const u of unplaced) lines.push(`cannot place ${u.vm}: ${u.reason}`);
  for (const vm of est.atRisk) lines.push(`${vm} dirties memory fast: its migration may not converge`);
  if (deadline !== null) {
    const expected = startAt + est.seconds * 1000;
    lines.push(
      deadlineMet
        ? `deadline ${iso(deadline)} is met: expected empty at ${iso(expected)}`
        : `deadline ${iso(deadline)} at risk: ${
            unplaced.length
              ? `${unplaced.length} VM(s) have nowhere to go`
              : order.waiting.length
                ? "some hosts wait for the brake"
                : `expected empty only at ${iso(expected)}`
          }`,
    );
  }
  return lines;
}
