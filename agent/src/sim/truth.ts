/**
 * A generated fleet's ground truth in the fleet-v2 `*.truth.json` format (version 2), so the reference scorer
 * (score.py) scores Presage's own generator exactly as it scores the independent fleet model's traces.
 * Call after the fleet's readings() has been drained: truth fills in as the trace is generated.
 */
import type { Fault } from "./faults.js";
import type { Fleet, FleetOptions, HostTruth } from "./fleet.js";
import { VENDORS } from "./vendors.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

const MODE: Record<Fault["kind"], string> = {
  "fan-wear": "fan_wear",
  "fan-stop": "fan_sudden",
  "fan-intermittent": "fan_intermittent",
  "psu-aging": "psu_aging",
  "filter-clog": "filter_clog",
  paste: "thermal_paste",
};

const COMPONENT: Record<Fault["kind"], string> = {
  "fan-wear": "fan",
  "fan-stop": "fan",
  "fan-intermittent": "fan",
  "psu-aging": "psu",
  "filter-clog": "thermal",
  paste: "thermal",
};

/** Sensors that show the fault, under both names when a firmware update renamed them. */
function faultSensors(t: HostTruth, f: Fault): string[] {
  const L = VENDORS[t.vendor];
  if (!L) return [];
  let names: string[];
  if ("fan" in f) names = [L.fans[f.fan] as string];
  else if (f.kind === "paste") names = [L.cpus[f.cpu] as string];
  else if (f.kind === "filter-clog") names = [...L.fans, ...L.cpus];
  else {
    const psu = f.psu;
    names = [
      ...L.rails.filter((r) => r.nominal >= 10 && (r.psu ?? psu) === psu).map((r) => r.name),
      ...(L.psuTemps[psu - 1] ? [L.psuTemps[psu - 1] as string] : []),
      ...(L.psuOutputs?.names[psu - 1] ? [L.psuOutputs.names[psu - 1] as string] : []),
    ];
  }
  return names.flatMap((n) => (t.renames[n] ? [n, t.renames[n] as string] : [n]));
}

function detail(f: Fault): string {
  switch (f.kind) {
    case "fan-wear":
      return `bearing wear over ${(f.durationMs / HOUR).toFixed(0)} h${f.stop ? ", ends in a stop" : ""}`;
    case "fan-stop":
      return "sudden stop, BMC failsafe duty on the other fans";
    case "fan-intermittent":
      return `drop-outs at a rising rate, stops for good after ${(f.durationMs / HOUR).toFixed(0)} h`;
    case "psu-aging":
      return `PSU${f.psu} output share falls, 12V droops with ripple, PSU hotter, then the PSU drops out`;
    case "filter-clog":
      return "filter clog: airflow falls, fans pinned, CPUs hotter";
    case "paste":
      return `CPU${f.cpu + 1} heatsink resistance grows`;
  }
}

function hostEntry(t: HostTruth, end: number) {
  const L = VENDORS[t.vendor];
  const f = t.fault;
  const faults = f
    ? [
        {
          component: COMPONENT[f.kind],
          mode: MODE[f.kind],
          onset: f.start,
          failAt: t.failureAt,
          sudden: f.kind === "fan-stop",
          censored: t.failureAt === null || t.failureAt >= end,
          sensors: faultSensors(t, f),
          detail: detail(f),
          ...(t.repairedAt !== null && t.repairedAt < end ? { repairedAt: Math.round(t.repairedAt) } : {}),
        },
      ]
    : [];
  return {
    vendor: t.vendor,
    rack: t.rack,
    intervalSec: t.intervalMs / 1000,
    hasThresholds: t.thresholds,
    cpuCritical: L?.cpuUcr ?? null,
    fanFailurePoint: L?.fanLcr ?? null,
    zones: t.zones,
    sensors: t.sensors,
    faults,
    confounders: t.episodes.map((e) => ({ ...e, start: Math.round(e.start), end: Math.round(e.end) })),
  };
}

export function fleetTruthJson(fleet: Fleet, o: FleetOptions) {
  const truth = fleet.truth();
  const hosts = Object.fromEntries(truth.map((t) => [t.host, hostEntry(t, fleet.end)]));
  const faults = Object.values(hosts).flatMap((h) => h.faults);
  const byMode: Record<string, number> = {};
  for (const f of faults) byMode[f.mode] = (byMode[f.mode] ?? 0) + 1;
  const intervals = [...new Set(truth.map((t) => t.intervalMs / 1000))];
  return {
    version: 2,
    generator: "presage agent/src/sim",
    seed: o.seed,
    start: fleet.start,
    end: fleet.end,
    intervalSec: intervals.length === 1 ? intervals[0] : null,
    params: { ...o },
    totals: {
      hosts: truth.length,
      hostDays: truth.reduce(
        (s, t) => s + (t.firstTs === null ? 0 : ((t.lastTs as number) - t.firstTs + t.intervalMs) / DAY),
        0,
      ),
      faults: faults.length,
      faultyHosts: truth.filter((t) => t.fault).length,
      repaired: faults.filter((f) => "repairedAt" in f).length,
      byMode,
      readings: truth.reduce((s, t) => s + t.readings, 0),
    },
    hosts,
  };
}
