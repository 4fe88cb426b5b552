/**
 * The load-balancing planner: which VMs to live-migrate so host load evens out.
 *
 * `planRebalance(fleet, opts): RebalanceResult` is pure: same fleet and options, same plan.
 *
 * *Description*: repeatedly takes the single best move until `maxMoves` or until no move pays for
 * itself. A candidate move (VM, from, to) is judged as DRS's cost-benefit step does (cost.ts
 * `costBenefit`): its expected gain is the drop of the weighted sum of squared load deviations
 * (imbalance.ts) times the hours it is expected to last (`price.gainHours`); its cost is
 * `price.perMove` plus `price.perGiB` per GiB pre-copy will send (memory and dirty rate). Both are
 * imbalance-hours. A move is made only if its gain exceeds its cost scaled by aggressiveness
 * (PRICE_SCALE: 1 asks four times the price, 5 a quarter of it); the best move is the one with the
 * most net benefit (gain minus cost), and the plan stops when that one does not pay. Sources are the most loaded healthy hosts, targets the least loaded ones
 * (CANDIDATE_HOSTS of each per resource), so a step costs the same on 10 or 10,000 hosts. A
 * DRS-style tolerance per aggressiveness (TOLERANCE) leaves a fleet whose imbalance score is within
 * it alone; a plan that starts stops once the score is at or below TOLERANCE_STOP_FRACTION of it
 * (hysteresis, so drift does not trigger a few small moves every round).
 *
 * *Requirements* (the health logic always wins): no move while evacuations run; targets are only
 * `healthy`, reachable hosts (placementBlocker), and anti-affinity and headroom hold after every move;
 * VMs are only taken from healthy hosts. Never moved: a VM moved within `cooldownMs` (per `lastMoved`),
 * a VM with a migration in flight (`busy`), a VM away from a home host that is in maintenance,
 * quarantined or returning (the return logic brings it back), a VM that dirties memory too fast to
 * converge. A VM does not go back to the host it last left within RETURN_BAN_COOLDOWNS cool-downs (per
 * `lastFrom`). Every move strictly lowers the imbalance, so the plan's imbalance never rises.
 *
 * *Limitations*: greedy, one move at a time (no swaps); demand is a snapshot, the cool-down stops
 * chasing noise between rounds.
 */
import type { PlanMove, VmRecord } from "@presage/shared";
import { HostState } from "@presage/shared";
import type { FleetView, Headroom, HostView } from "../model.js";
import { addVm, type HostUsage, placementBlocker, removeVm, vmCpu } from "../placement/capacity.js";
import {
  costBenefit,
  DEFAULT_MIGRATION_BANDWIDTH_MIBPS,
  DEFAULT_MOVE_PRICE,
  type MovePrice,
  migrationCost,
} from "./cost.js";
import {
  balancedHosts,
  DEFAULT_MEMORY_WEIGHT,
  demandByHost,
  type HostLoadChange,
  type Imbalance,
  LoadStats,
  normalisedLoad,
} from "./imbalance.js";

export type Aggressiveness = 1 | 2 | 3 | 4 | 5;

export type RebalanceOptions = {
  /** 1 (only large wins) .. 5 (any measurable win): sets the minimum gain per move */
  aggressiveness: Aggressiveness;
  /** most moves in this plan */
  maxMoves: number;
  /** free fraction every target keeps after a move */
  headroom: Headroom;
  /** ms, for the cool-down */
  now: number;
  /** a VM moved less than this long ago (ms) stays put */
  cooldownMs: number;
  /** VM id -> last time (ms) it was migrated, for any purpose */
  lastMoved: ReadonlyMap<string, number>;
  /**
   * VM id -> the host its last migration left. Within RETURN_BAN_COOLDOWNS cool-downs of that
   * migration (per `lastMoved`) the VM does not go back there: no A -> B -> A ping-pong.
   */
  lastFrom?: ReadonlyMap<string, string>;
  /** true while any evacuation runs: balancing pauses */
  evacuationsRunning?: boolean;
  /** VMs with a migration in flight */
  busy?: ReadonlySet<string>;
  /** weight of memory variance in the score; default DEFAULT_MEMORY_WEIGHT */
  memoryWeight?: number;
  /** bandwidth for cost estimates, MiB/s; default DEFAULT_MIGRATION_BANDWIDTH_MIBPS */
  bandwidthMiBps?: number;
  /** imbalance score a fleet may have without any move; default TOLERANCE[aggressiveness] */
  tolerance?: number;
  /** what a move costs in imbalance-hours (cost.ts); default DEFAULT_MOVE_PRICE, scaled by PRICE_SCALE */
  price?: MovePrice;
};

export type RebalanceResult = {
  moves: PlanMove[];
  /** imbalance score before and after the moves (imbalance.ts) */
  imbalanceBefore: number;
  imbalanceAfter: number;
  /** one sentence: what the plan does, or why it does nothing */
  reason: string;
  /** VMs on the hosts considered that may not move now, with why */
  skipped: { vm: string; reason: string }[];
  /** the full measures behind imbalanceBefore / imbalanceAfter */
  before: Imbalance;
  after: Imbalance;
};

/**
 * How aggressiveness scales the price of a move (cost.ts): at 1 a move must gain four times what
 * the configured price says it costs, at 5 a quarter of it.
 */
export const PRICE_SCALE: Readonly<Record<Aggressiveness, number>> = {
  1: 4,
  2: 2,
  3: 1,
  4: 0.5,
  5: 0.25,
};

/**
 * DRS-style tolerance per aggressiveness: a fleet whose imbalance score is at or below it is left
 * alone, so a balanced fleet costs no migrations. 5 balances whenever a move is worth its minimum gain.
 */
export const TOLERANCE: Readonly<Record<Aggressiveness, number>> = {
  1: 0.15,
  2: 0.1,
  3: 0.06,
  4: 0.04,
  5: 0,
};

/**
 * A plan that starts (imbalance above the tolerance) stops once the imbalance is at this fraction of
 * the tolerance: hysteresis, so drift does not trigger a few small moves every round.
 */
export const TOLERANCE_STOP_FRACTION = 0.6;

/** How many cool-downs a VM stays away from the host it last left. */
export const RETURN_BAN_COOLDOWNS = 4;

/** A drop of the squared deviations this small, relative to them, is rounding in LoadStats, not a gain. */
const NOISE = 1e-12;

/** Most and least loaded hosts examined per resource at each step. */
export const CANDIDATE_HOSTS = 16;

/** Home states in which the return logic is about to bring a host's VMs back: the balancer leaves them. */
const RECLAIMING: ReadonlySet<string> = new Set<string>([
  HostState.Quarantined,
  HostState.Returning,
  HostState.Maintenance,
]);

type Best = {
  vm: VmRecord;
  from: HostView;
  to: HostView;
  /** expected gain minus cost, imbalance-hours: what the move is ranked by */
  net: number;
  /** expected gain over cost: what the scaled price is checked against */
  merit: number;
  fromLoad: HostLoadChange;
  toLoad: HostLoadChange;
};

export function planRebalance(fleet: FleetView, opts: RebalanceOptions): RebalanceResult {
  const memoryWeight = opts.memoryWeight ?? DEFAULT_MEMORY_WEIGHT;
  const bandwidth = opts.bandwidthMiBps ?? DEFAULT_MIGRATION_BANDWIDTH_MIBPS;
  const price = opts.price ?? DEFAULT_MOVE_PRICE;
  const minMerit = PRICE_SCALE[opts.aggressiveness];
  const tolerance = opts.tolerance ?? TOLERANCE[opts.aggressiveness];
  const hosts = balancedHosts(fleet);
  const usage = demandByHost(fleet);
  const usageOf = (h: HostView) => usage.get(h.name) as HostUsage;
  const load = new Map(hosts.map((h) => [h.name, normalisedLoad(h, usageOf(h))]));
  const stats = new LoadStats(memoryWeight, load.values());
  const before = stats.measure();
  const result = (moves: PlanMove[], reason: string, skipped: Map<string, string>): RebalanceResult => {
    const after = stats.measure();
    return {
      moves,
      imbalanceBefore: before.score,
      imbalanceAfter: after.score,
      reason,
      skipped: [...skipped].map(([vm, why]) => ({ vm, reason: why })),
      before,
      after,
    };
  };
  const skipped = new Map<string, string>();
  if (opts.evacuationsRunning) return result([], "paused: evacuations are running", skipped);
  if (hosts.length < 2) return result([], `nothing to balance: ${hosts.length} healthy host(s)`, skipped);
  if (before.score <= tolerance)
    return result(
      [],
      `balanced enough: imbalance ${before.score.toFixed(4)} is within tolerance ${tolerance} (aggressiveness ${opts.aggressiveness})`,
      skipped,
    );

  const vmsOn = new Map<string, VmRecord[]>(hosts.map((h) => [h.name, []]));
  for (const vm of fleet.vms) vmsOn.get(vm.host)?.push(vm);
  const { canMove, returnBan, movable } = movability(fleet, opts, bandwidth, skipped);
  const moves: PlanMove[] = [];
  let bestRejected = 0;
  const stopAt = tolerance * TOLERANCE_STOP_FRACTION;
  const search: Search = {
    stats,
    load,
    vmsOn,
    usageOf,
    canMove,
    returnBan,
    bandwidth,
    price,
    minMerit,
    headroom: opts.headroom,
  };
  while (moves.length < opts.maxMoves && stats.measure().score > stopAt) {
    const { sources, targets } = candidates(hosts, load, memoryWeight);
    const found = bestMove(search, sources, targets);
    bestRejected = Math.max(bestRejected, found.bestRejected);
    const best = found.best;
    if (!best) break;
    const { vm, from, to } = best;
    stats.apply(best.fromLoad, best.toLoad);
    removeVm(usageOf(from), vm);
    addVm(usageOf(to), vm);
    load.set(from.name, { cpu: best.fromLoad.cpu[1], mem: best.fromLoad.mem[1] });
    load.set(to.name, { cpu: best.toLoad.cpu[1], mem: best.toLoad.mem[1] });
    const list = vmsOn.get(from.name) as VmRecord[];
    list.splice(list.indexOf(vm), 1);
    movable.set(vm.id, false); // once per plan
    moves.push({
      vm: vm.id,
      from: from.name,
      to: to.name,
      memoryMiB: vm.memoryMiB,
      ...(vm.priority !== undefined ? { priority: vm.priority } : {}),
    });
  }

  const gain = { rejected: bestRejected, min: minMerit, aggressiveness: opts.aggressiveness };
  return result(moves, planReason(moves.length, before.score, stats.measure().score, gain), skipped);
}

function planReason(
  moves: number,
  before: number,
  after: number,
  gain: { rejected: number; min: number; aggressiveness: Aggressiveness },
): string {
  const fmt = (x: number) => x.toFixed(4);
  if (moves > 0) return `${moves} move(s) lower imbalance ${fmt(before)} -> ${fmt(after)}`;
  if (gain.rejected > 0)
    return `balanced enough: the best move would gain ${gain.rejected.toPrecision(2)} times its cost, less than the ${gain.min} aggressiveness ${gain.aggressiveness} asks`;
  return `no move lowers imbalance ${fmt(before)} within capacity, anti-affinity and cool-down`;
}

/** Which VMs a plan may move (cool-down, in flight, away from a reclaiming home, convergence), cached per plan. */
function movability(fleet: FleetView, opts: RebalanceOptions, bandwidth: number, skipped: Map<string, string>) {
  const hostByName = new Map(fleet.hosts.map((h) => [h.name, h]));
  const whyNot = (vm: VmRecord): string | null => {
    if (opts.busy?.has(vm.id)) return "a migration of this VM is in flight";
    const last = opts.lastMoved.get(vm.id);
    if (last !== undefined && opts.now - last < opts.cooldownMs)
      return `moved ${Math.round((opts.now - last) / 1000)} s ago, cool-down is ${Math.round(opts.cooldownMs / 1000)} s`;
    const home = hostByName.get(vm.home);
    if (vm.home !== vm.host && home && RECLAIMING.has(home.state))
      return `away from home host ${vm.home} (${home.state}); returning it is the health logic's job`;
    if (!migrationCost(vm, bandwidth)) return `dirties memory too fast to converge at ${bandwidth} MiB/s`;
    return null;
  };
  const returnBan = (id: string): string | undefined => {
    const last = opts.lastMoved.get(id);
    return last !== undefined && opts.now - last < RETURN_BAN_COOLDOWNS * opts.cooldownMs
      ? opts.lastFrom?.get(id)
      : undefined;
  };
  const movable = new Map<string, boolean>();
  const canMove = (vm: VmRecord): boolean => {
    let ok = movable.get(vm.id);
    if (ok === undefined) {
      const why = whyNot(vm);
      if (why) skipped.set(vm.id, why);
      ok = why === null;
      movable.set(vm.id, ok);
    }
    return ok;
  };

  return { canMove, returnBan, movable };
}

type Search = {
  stats: LoadStats;
  load: Map<string, { cpu: number; mem: number }>;
  vmsOn: Map<string, VmRecord[]>;
  usageOf: (h: HostView) => HostUsage;
  canMove: (vm: VmRecord) => boolean;
  returnBan: (id: string) => string | undefined;
  bandwidth: number;
  price: MovePrice;
  /** gain / cost a move must exceed (PRICE_SCALE) */
  minMerit: number;
  headroom: Headroom;
};

/**
 * The move with the most net benefit (expected gain minus cost, both in imbalance-hours) from sources
 * to targets, if it pays for itself at the scaled price (gain / cost above minMerit); otherwise none,
 * with its gain / cost as `bestRejected`. Ranking by net benefit rather than by gain / cost gives a
 * move slot (maxMoves) to the move that removes the most imbalance for its price, not to the cheapest
 * small one; the ranking does not depend on aggressiveness, so a lower one still plans a prefix.
 */
function bestMove(
  x: Search,
  sources: readonly HostView[],
  targets: readonly HostView[],
): { best: Best | null; bestRejected: number } {
  const { stats, load, vmsOn, usageOf, canMove, returnBan, bandwidth, price, minMerit } = x;
  const ss = stats.ss;
  let best: Best | null = null;
  for (const from of sources) {
    const lf = load.get(from.name) as { cpu: number; mem: number };
    for (const vm of vmsOn.get(from.name) ?? []) {
      if (!canMove(vm)) continue;
      const cost = migrationCost(vm, bandwidth);
      if (!cost) continue;
      const bannedTarget = returnBan(vm.id);
      const d = vmCpu(vm);
      const fromLoad: HostLoadChange = {
        cpu: [lf.cpu, lf.cpu - d / from.cpuCapacity],
        mem: [lf.mem, lf.mem - vm.memoryMiB / from.memoryMiB],
      };
      for (const to of targets) {
        if (to === from || to.name === bannedTarget) continue;
        const lt = load.get(to.name) as { cpu: number; mem: number };
        const toLoad: HostLoadChange = {
          cpu: [lt.cpu, lt.cpu + d / to.cpuCapacity],
          mem: [lt.mem, lt.mem + vm.memoryMiB / to.memoryMiB],
        };
        const drop = ss - stats.ssAfter(fromLoad, toLoad);
        if (drop <= NOISE * Math.max(1, ss)) continue; // within rounding of the running sums: no drop
        const cb = costBenefit(drop, cost.copyMiB, price);
        const net = cb.gain - cb.cost;
        if (best && net <= best.net) continue;
        if (placementBlocker(vm, to, usageOf(to), x.headroom)) continue;
        best = { vm, from, to, net, merit: cb.gain / cb.cost, fromLoad, toLoad };
      }
    }
  }
  if (best && best.merit <= minMerit) return { best: null, bestRejected: best.merit };
  return { best, bestRejected: 0 };
}

/** The most loaded hosts (sources) and least loaded hosts (targets), per CPU and, if weighted, memory. */
function candidates(
  hosts: HostView[],
  load: ReadonlyMap<string, { cpu: number; mem: number }>,
  memoryWeight: number,
): { sources: HostView[]; targets: HostView[] } {
  if (hosts.length <= 2 * CANDIDATE_HOSTS) return { sources: hosts, targets: hosts };
  const sources = new Set<HostView>();
  const targets = new Set<HostView>();
  const keys: ("cpu" | "mem")[] = memoryWeight > 0 ? ["cpu", "mem"] : ["cpu"];
  for (const key of keys) {
    const sorted = [...hosts].sort(
      (a, b) => (load.get(b.name)?.[key] ?? 0) - (load.get(a.name)?.[key] ?? 0) || a.name.localeCompare(b.name),
    );
    for (const h of sorted.slice(0, CANDIDATE_HOSTS)) sources.add(h);
    for (const h of sorted.slice(-CANDIDATE_HOSTS)) targets.add(h);
  }
  return { sources: [...sources], targets: [...targets] };
}
