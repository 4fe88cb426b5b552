/**
 * What happens to a generated fleet, drawn up front from the seed: each host's fault (if any) and the healthy
 * confounders it lives through, as time windows the fleet applies while it samples.
 */
import type { Confounder, Fault, FaultKind } from "./faults.js";
import type { Rng } from "./rng.js";
import type { VendorLayout } from "./vendors.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A confounder as ground truth records it (fleet-v2 truth names: load_burst, crac_excursion, ...). */
export type Episode = {
  kind: string;
  scope: "host" | "rack" | "room";
  start: number;
  end: number;
  sensors: string[] | null;
  detail: string;
};

/** Cooling events: a CRAC unit failing over (whole room) or a blocked rack door (one rack). */
export type RoomEvent = { from: number; to: number; deltaC: number; rack: number | null };

export type Window = [number, number];

/** What the fleet does to one host besides its physics: quirk windows, with their truth episodes. */
export type HostPlan = {
  confounders: Confounder[];
  gaps: Window[];
  /** BMC resets: every reading null, then maybe one glitched sample of `glitch` right after */
  resets: { from: number; to: number; glitch: string | null }[];
  off: Window[];
  stuck: { sensor: string; from: number; to: number } | null;
  /** firmware update: from `at` on, sensors report under new names */
  renameAt: number | null;
  episodes: Episode[];
};

export function planRoom(rng: Rng, start: number, days: number, racks: number): RoomEvent[] {
  const room: RoomEvent[] = [];
  const span = (min: number, max: number, deltaC: number, rack: number | null, d: number) => {
    const from = start + d * DAY + rng.next() * (DAY - max);
    room.push({ from, to: from + min + rng.next() * (max - min), deltaC, rack });
  };
  for (let d = 0; d < days; d++) {
    if (rng.next() < 0.3) span(2 * HOUR, 5 * HOUR, 3 + 4 * rng.next(), null, d);
    if (rng.next() < 0.4) span(HOUR, 3 * HOUR, 5 + 6 * rng.next(), rng.int(0, racks - 1), d);
  }
  return room;
}

/** A fault whose failure point should fall inside the trace, after healthy history (a day, less in short traces). */
export function planFault(r: Rng, kind: FaultKind, start: number, days: number, L: VendorLayout): Fault {
  const span = days * DAY;
  const warm = Math.min(DAY, 0.3 * span);
  const room = span - warm - Math.min(DAY / 2, 0.15 * span);
  const dur = (lo: number, hi: number) => Math.min(room * 0.9, (lo + r.next() * (hi - lo)) * DAY);
  const at = (d: number) => start + warm + r.next() * Math.max(0, room - d);
  const fan = r.int(0, L.fans.length - 1);
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
      const d = dur(2, 5);
      return { kind, psu: r.next() < 0.5 ? 1 : 2, start: at(d), durationMs: d };
    }
    case "filter-clog": {
      const d = dur(2, 5);
      return { kind, start: at(d), durationMs: d };
    }
    case "paste": {
      const d = dur(2, 5);
      return { kind, cpu: r.int(0, L.cpus.length - 1), start: at(d), durationMs: d };
    }
  }
}

/** Load bursts, about 1.2 a day, most of the extra load on one CPU. */
function planBursts(r: Rng, start: number, days: number, cpus: number, p: HostPlan): void {
  for (let d = 0; d < days; d++)
    for (const chance of [0.75, 0.45]) {
      if (r.next() >= chance) continue;
      const s = start + d * DAY + r.next() * DAY;
      const durationMs = 10 * MIN + r.next() * r.next() * 3 * HOUR;
      const extra = 0.25 + 0.35 * r.next();
      p.confounders.push({
        kind: "load-burst",
        start: s,
        durationMs,
        extra,
        cpu: r.int(0, cpus - 1),
        share: 0.5 + 0.25 * r.next(),
      });
      p.episodes.push(ep("load_burst", s, s + durationMs, null, `+${extra.toFixed(2)} load`));
    }
}

const ep = (kind: string, start: number, end: number, sensors: string[] | null, detail: string): Episode => ({
  kind,
  scope: "host",
  start,
  end,
  sensors,
  detail,
});

/** Healthy-host confounders (faulty hosts get them too: detection must survive them). */
export function planHost(r: Rng, L: VendorLayout, start: number, days: number, faultFan: number, quirks: boolean) {
  const end = start + days * DAY;
  const p: HostPlan = { confounders: [], gaps: [], resets: [], off: [], stuck: null, renameAt: null, episodes: [] };
  const t = () => start + 2 * HOUR + r.next() * (end - start - 4 * HOUR);
  planBursts(r, start, days, L.cpus.length, p);
  if (r.next() < 0.2) {
    const at = t();
    const c: Confounder = { kind: "fan-curve", at, floor: 0.75 + 0.45 * r.next(), setpointC: 6 * r.next() - 3 };
    p.confounders.push(c);
    p.episodes.push(
      ep(
        "fan_curve_change",
        at,
        at + 10 * MIN,
        [...L.fans],
        `floor x${c.floor.toFixed(2)}, target ${c.setpointC.toFixed(1)}C`,
      ),
    );
  }
  if (r.next() < 0.15) {
    const fan = (faultFan + 1 + r.int(0, L.fans.length - 2)) % L.fans.length;
    const at = t();
    const speedFactor = 1.04 + 0.1 * r.next();
    p.confounders.push({ kind: "fan-replaced", fan, at, speedFactor });
    p.episodes.push(
      ep(
        "fan_replacement",
        at - 2 * MIN,
        at + MIN,
        [L.fans[fan] as string],
        `new fan at ${speedFactor.toFixed(2)}x, RPM steps up`,
      ),
    );
  }
  if (r.next() < 0.15) {
    const psu = r.next() < 0.5 ? 1 : 2;
    const s = t();
    const durationMs = HOUR * (1 + 20 * r.next());
    p.confounders.push({ kind: "psu-unplugged", psu, start: s, durationMs });
    p.episodes.push(ep("psu_unplug", s, s + durationMs, null, `PSU${psu} unplugged, the other carries all`));
  }
  if (r.next() < 0.08) {
    const s = t();
    p.off.push([s, s + HOUR * (0.5 + 4 * r.next())]);
    p.episodes.push(ep("power_cycle", s, (p.off[0] as Window)[1], null, "host powered off"));
  }
  if (quirks) planQuirks(r, L, start, days, t, p);
  return p;
}

/** BMC gaps and resets, a stuck sensor, a firmware rename. */
function planQuirks(r: Rng, L: VendorLayout, start: number, days: number, t: () => number, p: HostPlan): void {
  for (let d = 0; d < days; d++) {
    if (r.next() < 0.3) {
      const s = start + d * DAY + r.next() * DAY;
      const e = s + 2 * MIN + r.next() * 58 * MIN;
      p.gaps.push([s, e]);
      p.episodes.push(ep("bmc_gap", s, e, null, "no readings"));
    }
    if (r.next() < 0.2) {
      const s = start + d * DAY + r.next() * DAY;
      const e = s + 3 * MIN + r.next() * 4 * MIN;
      const glitch = r.next() < 0.4 ? r.pick([...L.fans, ...L.cpus]) : null;
      p.resets.push({ from: s, to: e, glitch });
      // the glitch lands in the first sample after the burst: the episode covers it
      p.episodes.push(
        ep("bmc_reset", s, e + 3 * MIN, null, glitch ? `null burst, one-sample glitch ${glitch}` : "null burst"),
      );
    }
  }
  if (r.next() < 0.1) {
    const s = t();
    const sensor = r.pick([...L.fans, ...L.cpus, L.inlet]);
    p.stuck = { sensor, from: s, to: s + HOUR * (2 + 20 * r.next()) };
    p.episodes.push(ep("stuck_sensor", s, p.stuck.to, [sensor], "value frozen"));
  }
  if (r.next() < 0.05) {
    p.renameAt = t();
    p.episodes.push(ep("sensor_rename", p.renameAt, p.renameAt + MIN, null, "firmware update renames sensors"));
  }
}

/** The name a sensor gets after a firmware update: spaces become underscores, or a space goes before the digits. */
export const renamed = (name: string) =>
  /\s/.test(name) ? name.replace(/\s+/g, "_") : name.replace(/([A-Za-z])(\d)/, "$1 $2");
