/**
 * Fleet trace generator with ground truth: hosts of several vendor layouts in racks of one room, each sampled at
 * its own interval with jitter; room and rack cooling events; healthy-host confounders; real-data quirks (nulls,
 * BMC dropouts, one-sample glitches, stuck sensors); and at most one fault per host.
 * Readings come out in global time order (hosts interleave, each host in time order), like a recorded fleet.
 */
import type { Reading } from "@presage/shared";
import type { Confounder, ConfounderKind, Fault, FaultKind } from "./faults.js";
import { createHostModel, type SimHost } from "./host.js";
import { createRng, hashSeed, type Rng } from "./rng.js";
import { VENDOR_NAMES, VENDORS } from "./vendors.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const FAULT_KINDS: FaultKind[] = [
  "fan-wear",
  "fan-stop",
  "fan-intermittent",
  "psu-aging",
  "filter-clog",
  "paste",
];

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
  /** sample intervals to draw from, ms (default 10 s, 30 s, 60 s, 60 s, 120 s) */
  intervalsMs?: number[];
  /** real-data quirks on (default true) */
  quirks?: boolean;
  hostsPerRack?: number;
};

export type HostTruth = {
  host: string;
  vendor: string;
  rack: number;
  intervalMs: number;
  fault: Fault | null;
  /** when the fault crossed its failure point (BMC threshold, or the documented default); null = not in trace */
  failureAt: number | null;
  /** confounders this host saw (room-wide events are listed on every host) */
  confounders: ConfounderKind[];
};

export type Fleet = {
  readonly hosts: readonly HostTruth[];
  readonly start: number;
  readonly end: number;
  /** all readings in time order; truth().failureAt is filled in as the trace is generated */
  readings(): Generator<Reading>;
  truth(): HostTruth[];
};

type Slot = {
  truth: HostTruth;
  model: SimHost;
  rng: Rng;
  next: number;
  /** windows of silence (BMC reset, dropout) and power-off */
  gaps: [number, number][];
  off: [number, number][];
  bursts: [number, number][];
  stuck: { sensor: string; from: number; to: number; value: number | null } | null;
};

type RoomEvent = { from: number; to: number; deltaC: number; rack: number | null };

export function createFleet(o: FleetOptions): Fleet {
  const start = o.start ?? Date.UTC(2025, 0, 6);
  const end = start + o.days * DAY;
  const rng = createRng(hashSeed("fleet", o.seed));
  const vendors = o.vendors ?? VENDOR_NAMES;
  const kinds = o.faultKinds ?? FAULT_KINDS;
  const intervals = o.intervalsMs ?? [10_000, 30_000, 60_000, 60_000, 120_000];
  const quirks = o.quirks ?? true;
  const perRack = o.hostsPerRack ?? 16;

  // room-wide and rack-wide cooling events: a CRAC failing over, a blocked rack door
  const room: RoomEvent[] = [];
  for (let d = 0; d < o.days; d++) {
    if (rng.next() < 0.3) room.push(span(rng, start + d * DAY, 2 * HOUR, 5 * HOUR, 3 + 4 * rng.next(), null));
    const racks = Math.ceil(o.hosts / perRack);
    if (rng.next() < 0.4)
      room.push(span(rng, start + d * DAY, HOUR, 3 * HOUR, 5 + 6 * rng.next(), rng.int(0, racks - 1)));
  }

  const slots: Slot[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const host = `sim${String(o.seed).padStart(3, "0")}-h${String(i).padStart(4, "0")}`;
    const hr = createRng(hashSeed(o.seed, host, "plan"));
    const vendor = hr.pick(vendors);
    const model = createHostModel({ host, seed: o.seed, vendor });
    const layout = VENDORS[vendor] ?? model.layout;
    const truth: HostTruth = {
      host,
      vendor,
      rack: Math.floor(i / perRack),
      intervalMs: hr.pick(intervals),
      fault: null,
      failureAt: null,
      confounders: [],
    };
    const slot: Slot = {
      truth,
      model,
      rng: hr,
      next: start + hr.int(0, truth.intervalMs - 1),
      gaps: [],
      off: [],
      bursts: [],
      stuck: null,
    };
    if (room.some((e) => e.rack === null)) truth.confounders.push("cooling-event");
    if (room.some((e) => e.rack === truth.rack) && !truth.confounders.includes("cooling-event"))
      truth.confounders.push("cooling-event");

    if (hr.next() < (o.faultFraction ?? 0.3)) {
      const f = planFault(
        hr,
        hr.pick(kinds),
        start,
        o.days,
        layout.fans.length,
        layout.cpus.length,
        layout.rails.length,
      );
      model.injectFault(f);
      truth.fault = f;
    }
    // healthy-host confounders (faulty hosts get them too: detection must survive them)
    const t = () => start + HOUR * 2 + hr.next() * (end - start - 4 * HOUR);
    if (hr.next() < 0.5) {
      const from = t();
      slot.bursts.push([from, from + HOUR * (0.5 + 3 * hr.next())]);
      truth.confounders.push("load-burst");
    }
    if (hr.next() < 0.2) {
      const c: Confounder = {
        kind: "fan-curve",
        at: t(),
        minDuty: 0.3 + 0.2 * hr.next(),
        gain: 0.015 + 0.015 * hr.next(),
      };
      model.applyConfounder(c);
      truth.confounders.push(c.kind);
    }
    const faultFan = truth.fault && "fan" in truth.fault ? truth.fault.fan : -1;
    if (hr.next() < 0.15) {
      const fan = (faultFan + 1 + hr.int(0, layout.fans.length - 2)) % layout.fans.length;
      model.applyConfounder({ kind: "fan-replaced", fan, at: t(), speedFactor: 0.95 + 0.15 * hr.next() });
      truth.confounders.push("fan-replaced");
    }
    if (layout.rails.some((r) => r.psu === 2) && hr.next() < 0.2) {
      model.applyConfounder({ kind: "psu-unplugged", psu: 2, start: t(), durationMs: HOUR * (1 + 20 * hr.next()) });
      truth.confounders.push("psu-unplugged");
    }
    if (hr.next() < 0.1) {
      const from = t();
      slot.off.push([from, from + HOUR * (0.5 + 4 * hr.next())]);
      truth.confounders.push("power-cycle");
    }
    if (quirks) {
      // BMC resets and dropouts: about one every three days, 10 min to 2 h of silence
      for (let d = 0; d < o.days; d++)
        if (hr.next() < 0.33) {
          const from = start + d * DAY + hr.next() * DAY;
          slot.gaps.push([from, from + 10 * MIN + hr.next() * 110 * MIN]);
        }
      if (hr.next() < 0.1) {
        const from = t();
        slot.stuck = { sensor: "", from, to: from + HOUR * (2 + 20 * hr.next()), value: null };
      }
    }
    slots.push(slot);
  }

  function roomC(slot: Slot, ts: number): number | null {
    let delta = 0;
    for (const e of room)
      if (ts >= e.from && ts < e.to && (e.rack === null || e.rack === slot.truth.rack)) delta += e.deltaC;
    return delta ? 22 + delta : null;
  }

  function* readings(): Generator<Reading> {
    // a small binary heap would do; hosts are few enough that a linear scan per step is fine and simpler
    for (;;) {
      let s: Slot | null = null;
      for (const x of slots) if (x.next < end && (s === null || x.next < s.next)) s = x;
      if (!s) return;
      const ts = s.next;
      const iv = s.truth.intervalMs;
      s.next = ts + Math.max(1_000, Math.round(iv * (1 + (quirks ? 0.2 * (s.rng.next() * 2 - 1) : 0))));
      const inWin = (w: [number, number][]) => w.some(([a, b]) => ts >= a && ts < b);
      s.model.setPower(!inWin(s.off));
      s.model.setLoad(inWin(s.bursts) ? 0.97 : null);
      s.model.setRoomC(roomC(s, ts));
      const rs = s.model.sample(ts);
      if (inWin(s.gaps)) continue;
      for (const r of rs) yield quirks ? quirk(s, r) : r;
    }
  }

  function quirk(s: Slot, r: Reading): Reading {
    const st = s.stuck;
    if (st && r.ts >= st.from && r.ts < st.to) {
      if (st.sensor === "") st.sensor = r.sensor;
      if (st.sensor === r.sensor) {
        st.value ??= r.value;
        return { ...r, value: st.value };
      }
    }
    const u = s.rng.next();
    if (u < 0.002) return { ...r, value: null, status: "ns" };
    if (u < 0.00205 && r.value !== null) return { ...r, value: r.type === "fan" ? 0 : Math.round(r.value * 3) };
    return r;
  }

  return {
    hosts: slots.map((s) => s.truth),
    start,
    end,
    readings,
    truth: () =>
      slots.map((s) => ({
        ...s.truth,
        failureAt: s.model.truth()[0]?.failureAt ?? null,
        confounders: [...s.truth.confounders],
      })),
  };
}

function span(
  rng: Rng,
  dayStart: number,
  minMs: number,
  maxMs: number,
  deltaC: number,
  rack: number | null,
): RoomEvent {
  const from = dayStart + rng.next() * (DAY - maxMs);
  return { from, to: from + minMs + rng.next() * (maxMs - minMs), deltaC, rack };
}

function planFault(
  r: Rng,
  kind: FaultKind,
  start: number,
  days: number,
  fans: number,
  cpus: number,
  rails: number,
): Fault {
  // start after a day of healthy history; the failure point should fall inside the trace
  const room = (days - 1.5) * DAY;
  const dur = (lo: number, hi: number) => Math.min(room * 0.9, (lo + r.next() * (hi - lo)) * DAY);
  const at = (d: number) => start + DAY + r.next() * Math.max(HOUR, room - d);
  const fan = r.int(0, fans - 1);
  switch (kind) {
    case "fan-wear": {
      const d = dur(1, 4);
      return { kind, fan, start: at(d), durationMs: d, stop: r.next() < 0.5 };
    }
    case "fan-stop":
      return { kind, fan, start: at(0) };
    case "fan-intermittent": {
      const d = dur(0.25, 1);
      return { kind, fan, start: at(d), durationMs: d };
    }
    case "psu-aging": {
      const d = dur(2, 6);
      return { kind, rail: r.int(0, rails - 1), start: at(d), durationMs: d };
    }
    case "filter-clog": {
      const d = dur(2, 5);
      return { kind, start: at(d), durationMs: d };
    }
    case "paste": {
      const d = dur(2, 5);
      return { kind, cpu: r.int(0, cpus - 1), start: at(d), durationMs: d };
    }
  }
}
