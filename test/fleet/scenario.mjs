/**
 * The fleet soak's script, a pure function of its size and seed: hosts in racks, VMs, which hosts get a real
 * hardware fault (and when), the rack whose cooling fails, the host that goes into planned maintenance, and the
 * chaos timeline (kill -9 of the leader controller, one NATS node down and back, 10 % of agents gone for a while,
 * BMC polls that hang, garbage on every subject). Times are simulated ms after the run's start.
 */
import { seededRandom } from "../../shared/dist/random.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** @param {{ hosts: number, seed: number, hours?: number, vmsPerHost?: number, hostsPerRack?: number }} o */
export function makeScenario(o) {
  const r = seededRandom(o.seed);
  const hours = o.hours ?? 24;
  const dayMs = hours * HOUR;
  const perRack = o.hostsPerRack ?? 20;
  const vmsPerHost = o.vmsPerHost ?? 20;
  const at = (frac) => Math.round(frac * dayMs);
  const pad = String(o.hosts - 1).length;
  const hosts = Array.from({ length: o.hosts }, (_, i) => ({
    name: `h${String(i).padStart(pad, "0")}`,
    rack: Math.floor(i / perRack),
    seed: o.seed * 100_000 + i,
    cpuCapacity: 128,
    memoryMiB: 512 * 1024,
  }));
  const vms = hosts.flatMap((h, i) =>
    Array.from({ length: vmsPerHost }, (_, j) => {
      const vcpus = [1, 2, 2, 4, 4, 8][Math.floor(r() * 6)];
      return {
        id: `vm-${i}-${j}`,
        host: h.name,
        vcpus,
        memoryMiB: vcpus * 2048,
        cpuDemand: vcpus * (0.2 + 0.5 * r()),
        dirtyRateMiBps: Math.round(2 + 20 * r()),
      };
    }),
  );
  const racks = Math.ceil(o.hosts / perRack);
  const pick = (pool, n) => {
    const left = [...pool];
    const out = [];
    while (out.length < n && left.length) out.push(...left.splice(Math.floor(r() * left.length), 1));
    return out;
  };
  // the cooling rack and the maintenance host are kept apart from the faulty hosts, so every evacuation of a
  // healthy host is a false one
  const coolingRack = racks > 2 ? 1 + Math.floor(r() * (racks - 1)) : racks - 1;
  const rackHosts = (k) => hosts.filter((h) => h.rack === k).map((h) => h.name);
  const coolingHosts = rackHosts(coolingRack);
  const others = hosts.map((h) => h.name).filter((n) => !coolingHosts.includes(n));
  // bearing wear that ends in a stopped fan, on ~1 % of the hosts (at least 2), starting in the first third
  const sick = pick(others, Math.max(2, Math.round(o.hosts / 100)));
  const faults = Object.fromEntries(
    sick.map((h) => [
      h,
      [
        {
          kind: "fan-wear",
          fan: Math.floor(r() * 3),
          afterMs: at(0.03 + 0.3 * r()),
          // 5-8 h of wear, shorter on a shortened day (a CI run) so the fan still stops before the end
          durationMs: Math.round(Math.min((5 + 3 * r()) * HOUR, (0.35 + 0.1 * r()) * dayMs)),
          stop: true,
        },
      ],
    ]),
  );
  const healthyOthers = others.filter((h) => !sick.includes(h));
  const [maintenanceHost] = pick(healthyOthers, 1);
  // a tenth of the agents (whole rack agents), not the ones that must report the faults
  const dropRacks = pick(
    [...Array(racks).keys()].filter((k) => k !== coolingRack && !rackHosts(k).some((h) => sick.includes(h))),
    Math.max(1, Math.round(racks / 10)),
  );
  const hangHosts = pick(healthyOthers, Math.max(2, Math.round(o.hosts / 20)));
  return {
    seed: o.seed,
    dayMs,
    hosts,
    vms,
    faults,
    sick,
    // +20 C at the inlet for 2 h: enough for the BMCs' own critical thresholds
    cooling: { rack: coolingRack, hosts: coolingHosts, fromMs: at(0.4), toMs: at(0.4) + 2 * HOUR, deltaC: 20 },
    maintenance: { host: maintenanceHost, enterMs: at(0.5), exitMs: at(0.6) },
    drop: { hosts: dropRacks.flatMap(rackHosts), fromMs: at(0.62), toMs: at(0.62) + 40 * MIN },
    hang: { hosts: hangHosts, fromMs: at(0.2), toMs: at(0.2) + HOUR },
    chaos: [
      { atMs: at(0.3), action: "kill-leader" },
      { atMs: at(0.33), action: "restart-controller" },
      { atMs: at(0.45), action: "nats-kill", node: Math.floor(r() * 3) },
      { atMs: at(0.55), action: "nats-start" },
      { atMs: at(0.5), action: "maintenance-enter" },
      { atMs: at(0.6), action: "maintenance-exit" },
    ].sort((a, b) => a.atMs - b.atMs),
  };
}
