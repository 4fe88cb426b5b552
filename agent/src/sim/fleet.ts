/**
 * Fleet trace generator with ground truth: hosts of several vendor layouts in racks of one room, each sampled at
 * its own interval with jitter; room and rack cooling events; healthy-host confounders (plan.ts); real-data quirks
 * (nulls, BMC gaps and resets, one-sample glitches, stuck sensors, duplicated lines, renames after a firmware
 * update); at most one fault per host, some repaired after they fail.
 * Readings come out in global time order (hosts interleave, each host in time order), like a recorded fleet.
 */
import type { Reading } from "@presage/shared";
import { type ConfounderKind, FAULT_KINDS, type Fault, type FaultKind } from "./faults.js";
import { createHostModel, type SimHost } from "./host.js";
import {
  type Episode,
  type HostPlan,
  planFault,
  planHost,
  planRoom,
  type RoomEvent,
  renamed,
  type Window,
} from "./plan.js";
import { createRng, hashSeed, type Rng } from "./rng.js";
import { VENDOR_NAMES, VENDORS } from "./vendors.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

export { FAULT_KINDS };

export type FleetOptions = {
  seed: number;
  hosts: number;
  days: number;
  /** trace start, ms (default 2025-01-06T00:00Z) */
  start?: number;
  /** fraction of hosts that get a fault (default 0.3) */
  faultFraction?: number;
  faultKinds?: FaultKind[];
  vendors?: string[];
  /** one vendor per host (default) or per rack */
  vendorBy?: "host" | "rack";
  /** who publishes thresholds: each host with probability 0.6 (default "mixed"), the vendor's usual, all, none */
  thresholds?: "mixed" | "vendor" | "all" | "none";
  /** sample intervals to draw from, ms (default 10 s, 30 s, 60 s, 60 s, 120 s) */
  intervalsMs?: number[];
  /** real-data quirks on (default true) */
  quirks?: boolean;
  hostsPerRack?: number;
  /** fraction of failed parts replaced 1-8 h after they fail (default 0.25) */
  repairFraction?: number;
};

export type HostTruth = {
  host: string;
  vendor: string;
  rack: number;
  intervalMs: number;
  /** the BMC publishes thresholds */
  thresholds: boolean;
  /** fan zone (0 CPU, 1 peripheral) of every fan sensor */
  zones: number[];
  fault: Fault | null;
  /** when the fault crossed its failure point (BMC threshold, or the part's documented limit); null = not in trace */
  failureAt: number | null;
  /** when the failed part was replaced; null = never */
  repairedAt: number | null;
  /** confounders this host saw (room-wide events are listed on every host) */
  confounders: ConfounderKind[];
  /** every confounder and quirk window, as fleet-v2 truth records them */
  episodes: Episode[];
  /** sensor names seen, in first-seen order (renamed ones too) */
  sensors: string[];
  /** firmware renames: old name -> new name */
  renames: Record<string, string>;
  readings: number;
  firstTs: number | null;
  lastTs: number | null;
};

export type Fleet = {
  readonly hosts: readonly HostTruth[];
  readonly start: number;
  readonly end: number;
  /** all readings in time order; truth() fills in as the trace is generated */
  readings(): Generator<Reading>;
  truth(): HostTruth[];
};

type Slot = {
  truth: HostTruth;
  model: SimHost;
  rng: Rng;
  next: number;
  plan: HostPlan;
  stuckValue: number | null | undefined;
  repair: boolean;
  seen: Set<string>;
  glitched: Set<object>;
};

const KIND_OF: Record<string, ConfounderKind> = {
  load_burst: "load-burst",
  fan_curve_change: "fan-curve",
  fan_replacement: "fan-replaced",
  psu_unplug: "psu-unplugged",
  power_cycle: "power-cycle",
};

export function createFleet(o: FleetOptions): Fleet {
  const start = o.start ?? Date.UTC(2025, 0, 6);
  const end = start + o.days * DAY;
  const rng = createRng(hashSeed("fleet", o.seed));
  const perRack = o.hostsPerRack ?? 16;
  const room = planRoom(rng, start, o.days, Math.ceil(o.hosts / perRack));
  const slots = Array.from({ length: o.hosts }, (_, i) => makeSlot(o, i, start, room, perRack));
  const quirks = o.quirks ?? true;

  function roomC(slot: Slot, ts: number): number | null {
    let delta = 0;
    for (const e of room)
      if (ts >= e.from && ts < e.to && (e.rack === null || e.rack === slot.truth.rack)) delta += e.deltaC;
    return delta ? 22 + delta : null;
  }

  function* readings(): Generator<Reading> {
    // hosts are few enough that a linear scan per sample is fine and simpler than a heap
    for (;;) {
      let s: Slot | null = null;
      for (const x of slots) if (x.next < end && (s === null || x.next < s.next)) s = x;
      if (!s) return;
      const ts = s.next;
      const iv = s.truth.intervalMs;
      s.next = ts + Math.max(1_000, Math.round(iv * (1 + (quirks ? 0.2 * (s.rng.next() * 2 - 1) : 0))));
      s.model.setPower(!inWin(s.plan.off, ts));
      s.model.setRoomC(roomC(s, ts));
      const rs = s.model.sample(ts);
      scheduleRepair(s, ts);
      if (inWin(s.plan.gaps, ts)) continue;
      for (const r of rs) {
        const q = quirks ? quirk(s, r) : r;
        record(s, q);
        yield q;
        if (quirks && s.rng.next() < 0.0002) yield q;
      }
    }
  }

  return {
    hosts: slots.map((s) => s.truth),
    start,
    end,
    readings,
    truth: () =>
      slots.map((s) => ({
        ...s.truth,
        failureAt: failureAt(s),
        confounders: [...s.truth.confounders],
        episodes: [...s.truth.episodes],
        sensors: [...s.truth.sensors],
      })),
  };
}

const inWin = (w: Window[], ts: number) => w.some(([a, b]) => ts >= a && ts < b);

/** A sudden stop fails when it happens; other faults when a sample first crosses the failure point. */
function failureAt(s: Slot): number | null {
  const f = s.truth.fault;
  if (f?.kind === "fan-stop") return f.start;
  return s.model.truth()[0]?.failureAt ?? null;
}

function makeSlot(o: FleetOptions, i: number, start: number, room: RoomEvent[], perRack: number): Slot {
  const host = `sim${String(o.seed).padStart(3, "0")}-h${String(i).padStart(4, "0")}`;
  const hr = createRng(hashSeed(o.seed, host, "plan"));
  const rack = Math.floor(i / perRack);
  const vendors = o.vendors ?? VENDOR_NAMES;
  const vendor =
    o.vendorBy === "rack" ? (vendors[hashSeed(o.seed, "rack", rack) % vendors.length] as string) : hr.pick(vendors);
  const layout = VENDORS[vendor];
  if (!layout) throw new Error(`unknown vendor ${vendor}`);
  const mode = o.thresholds ?? "mixed";
  const thresholds = mode === "vendor" ? layout.thresholds : mode === "mixed" ? hr.next() < 0.6 : mode === "all";
  const model = createHostModel({ host, seed: o.seed, vendor, thresholds, randomBursts: false });
  const fault =
    hr.next() < (o.faultFraction ?? 0.3)
      ? planFault(hr, hr.pick(o.faultKinds ?? FAULT_KINDS), start, o.days, layout)
      : null;
  if (fault) model.injectFault(fault);
  const plan = planHost(hr, layout, start, o.days, fault && "fan" in fault ? fault.fan : -1, o.quirks ?? true);
  for (const c of plan.confounders) model.applyConfounder(c);
  for (const e of room)
    if (e.rack === null || e.rack === rack)
      plan.episodes.push({
        kind: "crac_excursion",
        scope: e.rack === null ? "room" : "rack",
        start: e.from,
        end: e.to,
        sensors: null,
        detail: `+${e.deltaC.toFixed(1)}C ${e.rack === null ? "room" : `rack ${rack}`}`,
      });
  plan.episodes.sort((a, b) => a.start - b.start);
  const kinds = new Set<ConfounderKind>(plan.episodes.flatMap((e) => KIND_OF[e.kind] ?? []));
  if (plan.episodes.some((e) => e.kind === "crac_excursion")) kinds.add("cooling-event");
  const truth: HostTruth = {
    host,
    vendor,
    rack,
    intervalMs: hr.pick(o.intervalsMs ?? [10_000, 30_000, 60_000, 60_000, 120_000]),
    thresholds,
    zones: [...model.zones],
    fault,
    failureAt: null,
    repairedAt: null,
    confounders: [...kinds],
    episodes: plan.episodes,
    sensors: [],
    renames: {},
    readings: 0,
    firstTs: null,
    lastTs: null,
  };
  const next = start + hr.int(0, truth.intervalMs - 1);
  const repair = hr.next() < (o.repairFraction ?? 0.25);
  return { truth, model, rng: hr, next, plan, stuckValue: undefined, repair, seen: new Set(), glitched: new Set() };
}

/** Once the fault has failed, a repaired host gets its part replaced 1-8 h later. */
function scheduleRepair(s: Slot, ts: number): void {
  const t = s.truth;
  if (!s.repair || t.repairedAt !== null || !t.fault) return;
  const failed = failureAt(s);
  if (failed === null || ts < failed) return;
  const at = failed + HOUR * (1 + 7 * s.rng.next());
  t.repairedAt = at;
  s.model.applyConfounder({ kind: "repaired", at });
  if ("fan" in t.fault) s.model.applyConfounder({ kind: "fan-replaced", fan: t.fault.fan, at, speedFactor: 1 });
}

function record(s: Slot, r: Reading): void {
  const t = s.truth;
  t.readings++;
  t.firstTs ??= r.ts;
  t.lastTs = r.ts;
  if (!s.seen.has(r.sensor)) {
    s.seen.add(r.sensor);
    t.sensors.push(r.sensor);
  }
}

/** Real-data quirks: renames, a stuck sensor, BMC reset null bursts, rare nulls and one-sample glitches. */
function quirk(s: Slot, r0: Reading): Reading {
  const p = s.plan;
  let r = r0;
  if (p.renameAt !== null && r.ts >= p.renameAt) {
    const name = renamed(r.sensor);
    s.truth.renames[r.sensor] = name;
    r = { ...r, sensor: name };
  }
  const st = p.stuck;
  if (st && r0.sensor === st.sensor && r.ts >= st.from && r.ts < st.to) {
    if (s.stuckValue === undefined) s.stuckValue = r.value;
    return { ...r, value: s.stuckValue };
  }
  for (const w of p.resets) {
    if (r.ts >= w.from && r.ts < w.to) return { ...r, value: null, status: "ns" };
    if (w.glitch === r0.sensor && r.ts >= w.to && r.value !== null && !s.glitched.has(w)) {
      s.glitched.add(w);
      return { ...r, value: r.type === "fan" ? 0 : -128 };
    }
  }
  return s.rng.next() < 0.002 ? { ...r, value: null, status: "ns" } : r;
}
