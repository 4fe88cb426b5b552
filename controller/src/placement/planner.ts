/**
 * Pure evacuation and return planning.
 *
 * Description: places every VM of the hosts being emptied onto healthy hosts, most important VMs
 * first, each onto the target that stays least loaded afterwards (so one evacuation does not
 * create the next hotspot); then picks the moves that may start now under the concurrency limits,
 * hosts predicted to fail sooner first.
 * Requirements: a FleetView whose VM `host` is where each VM runs now; migrations in flight are
 * passed separately so their targets stay reserved.
 * Limitations: greedy (no repacking of VMs that are not moving); CPU is the planning estimate of
 * capacity.ts, not a measurement.
 */
import { HostState, type PlanMove, type VmRecord } from "@presage/shared";
import type { FleetView, Headroom, HostView } from "../model.js";
import { addVm, type HostUsage, placementBlocker, usageByHost, vmCpu } from "./capacity.js";

export type InFlight = { vm: string; from: string; to: string };
export type Limits = { perSource: number; perTarget: number; fleet: number };
export type Source = { host: string; predictedFailureAt?: number | null };

export type EvacuationPlan = {
  /** every placement found, in start order */
  moves: PlanMove[];
  /** VMs no healthy host can take, with why */
  unplaced: { vm: string; reason: string }[];
};

const byDeadline = (a: Source, b: Source) =>
  (a.predictedFailureAt ?? Number.POSITIVE_INFINITY) - (b.predictedFailureAt ?? Number.POSITIVE_INFINITY) ||
  a.host.localeCompare(b.host);

const byImportance = (a: VmRecord, b: VmRecord) =>
  (b.priority ?? 0) - (a.priority ?? 0) || b.memoryMiB - a.memoryMiB || a.id.localeCompare(b.id);

/** Usage per host with VMs in flight counted on their targets too (their room is taken). */
function usageWithReservations(fleet: FleetView, inFlight: readonly InFlight[]): Map<string, HostUsage> {
  const usage = usageByHost(fleet);
  const vms = new Map(fleet.vms.map((v) => [v.id, v]));
  for (const m of inFlight) {
    const vm = vms.get(m.vm);
    const u = usage.get(m.to);
    if (vm && u && vm.host !== m.to) addVm(u, vm);
  }
  return usage;
}

/** Hosts examined per VM (the least loaded ones that fit): keeps a 10,000-host plan fast. */
const CANDIDATES = 32;

function loadOf(h: HostView, u: HostUsage): number {
  return Math.max(u.cpu / h.cpuCapacity, u.memoryMiB / h.memoryMiB);
}

/** Eligible targets kept sorted by current load, least loaded first, as VMs are placed on them. */
class TargetQueue {
  readonly #items: { h: HostView; load: number }[];
  constructor(hosts: HostView[], usage: Map<string, HostUsage>) {
    this.#items = hosts.map((h) => ({ h, load: loadOf(h, usage.get(h.name) as HostUsage) })).sort(TargetQueue.cmp);
  }
  static cmp(a: { h: HostView; load: number }, b: { h: HostView; load: number }): number {
    return a.load - b.load || (a.h.name < b.h.name ? -1 : a.h.name > b.h.name ? 1 : 0);
  }
  get size(): number {
    return this.#items.length;
  }
  *inOrder(): IterableIterator<HostView> {
    for (const it of this.#items) yield it.h;
  }
  #find(item: { h: HostView; load: number }): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (TargetQueue.cmp(this.#items[mid] as { h: HostView; load: number }, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Move `h` to its place after its usage changed. */
  reposition(h: HostView, u: HostUsage): void {
    const i = this.#items.findIndex((x) => x.h === h);
    if (i < 0) return;
    const [item] = this.#items.splice(i, 1) as [{ h: HostView; load: number }];
    item.load = loadOf(h, u);
    this.#items.splice(this.#find(item), 0, item);
  }
}

/** The fuller of CPU and memory, as a fraction of capacity, if `vm` were added. */
function loadAfter(h: HostView, u: HostUsage, vm: VmRecord): number {
  return Math.max((u.cpu + vmCpu(vm)) / h.cpuCapacity, (u.memoryMiB + vm.memoryMiB) / h.memoryMiB);
}

/** Place every VM running on `sources` (except those already in flight). */
export function planEvacuation(input: {
  fleet: FleetView;
  sources: readonly Source[];
  headroom: Headroom;
  inFlight?: readonly InFlight[];
  /** VMs not to plan now (e.g. their last migration just failed: they wait for a retry) */
  hold?: ReadonlySet<string>;
}): EvacuationPlan {
  const { fleet, headroom } = input;
  const inFlight = input.inFlight ?? [];
  const sources = [...input.sources].sort(byDeadline);
  const rank = new Map(sources.map((s, i) => [s.host, i]));
  const moving = new Set([...inFlight.map((m) => m.vm), ...(input.hold ?? [])]);
  const usage = usageWithReservations(fleet, inFlight);
  const targets = new TargetQueue(
    fleet.hosts.filter((h) => !rank.has(h.name) && h.state === HostState.Healthy && h.up !== false),
    usage,
  );
  const toPlace = fleet.vms.filter((v) => rank.has(v.host) && !moving.has(v.id)).sort(byImportance);

  const placed: { move: PlanMove; rank: number }[] = [];
  const unplaced: { vm: string; reason: string }[] = [];
  for (const vm of toPlace) {
    let best: HostView | null = null;
    let bestLoad = Number.POSITIVE_INFINITY;
    let firstBlocker: string | null = null;
    let feasible = 0;
    // the least loaded hosts first; the best of the first CANDIDATES that fit wins
    for (const h of targets.inOrder()) {
      const u = usage.get(h.name) as HostUsage;
      const blocker = placementBlocker(vm, h, u, headroom);
      if (blocker) {
        firstBlocker ??= blocker;
        continue;
      }
      const load = loadAfter(h, u, vm);
      if (load < bestLoad || (load === bestLoad && best !== null && h.name < best.name)) {
        best = h;
        bestLoad = load;
      }
      if (++feasible >= CANDIDATES) break;
    }
    if (!best) {
      unplaced.push({
        vm: vm.id,
        reason:
          targets.size === 0
            ? "no healthy target host"
            : `no healthy host has room for ${vm.id} (${vm.memoryMiB} MiB, ${vmCpu(vm)} vCPU); e.g. ${firstBlocker}`,
      });
      continue;
    }
    const u = usage.get(best.name) as HostUsage;
    addVm(u, vm);
    targets.reposition(best, u);
    placed.push({
      move: { vm: vm.id, from: vm.host, to: best.name, memoryMiB: vm.memoryMiB, priority: vm.priority ?? 0 },
      rank: rank.get(vm.host) ?? 0,
    });
  }
  // start order: hosts failing sooner first, then the placement (importance) order
  placed.sort((a, b) => a.rank - b.rank);
  return { moves: placed.map((p) => p.move), unplaced };
}

/**
 * The VMs whose home is `host` and that run elsewhere, placed back onto it in importance order
 * while it has room. The host itself is `returning`, not healthy: capacity and anti-affinity are
 * checked as if it were a healthy target, which is the point of returning.
 */
export function planReturn(input: {
  fleet: FleetView;
  host: string;
  headroom: Headroom;
  inFlight?: readonly InFlight[];
  hold?: ReadonlySet<string>;
}): EvacuationPlan {
  const { fleet, headroom } = input;
  const inFlight = input.inFlight ?? [];
  const hv = fleet.hosts.find((h) => h.name === input.host);
  const away = fleet.vms.filter(
    (v) =>
      v.home === input.host && v.host !== input.host && !inFlight.some((m) => m.vm === v.id) && !input.hold?.has(v.id),
  );
  if (!hv) return { moves: [], unplaced: away.map((v) => ({ vm: v.id, reason: `${input.host} is unknown` })) };
  const target: HostView = { ...hv, state: HostState.Healthy };
  const u = usageWithReservations(fleet, inFlight).get(input.host) as HostUsage;
  const moves: PlanMove[] = [];
  const unplaced: { vm: string; reason: string }[] = [];
  for (const vm of away.sort(byImportance)) {
    const blocker = placementBlocker(vm, target, u, headroom);
    if (blocker) {
      unplaced.push({ vm: vm.id, reason: blocker });
      continue;
    }
    addVm(u, vm);
    moves.push({ vm: vm.id, from: vm.host, to: input.host, memoryMiB: vm.memoryMiB, priority: vm.priority ?? 0 });
  }
  return { moves, unplaced };
}

/** The moves that may start now without exceeding per-source, per-target and fleet-wide limits. */
export function startable(moves: readonly PlanMove[], inFlight: readonly InFlight[], limits: Limits): PlanMove[] {
  const bySource = new Map<string, number>();
  const byTarget = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const f of inFlight) {
    bump(bySource, f.from);
    bump(byTarget, f.to);
  }
  let total = inFlight.length;
  const out: PlanMove[] = [];
  for (const mv of moves) {
    if (total >= limits.fleet) break;
    if ((bySource.get(mv.from) ?? 0) >= limits.perSource) continue;
    if ((byTarget.get(mv.to) ?? 0) >= limits.perTarget) continue;
    bump(bySource, mv.from);
    bump(byTarget, mv.to);
    total++;
    out.push(mv);
  }
  return out;
}
