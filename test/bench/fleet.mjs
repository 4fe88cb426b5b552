// pnpm bench:fleet: 1,000 simulated hosts with live agents (rack agents, many per process) and ~20,000 VMs on a
// three-node NATS cluster (R3 streams and KV), a controller pair, one simulated day at accelerated time with
// injected fan wear, a rack-wide cooling event, planned maintenance and rebalancing, and scripted chaos under a
// seed: kill -9 of the leader controller, a NATS node killed and brought back, 10 % of agents dropped for 40
// simulated minutes, BMC polls that hang, garbage on every subject. Ends with the contract's JSON line
// (docs/contract.md section 6). Knobs: BENCH_HOSTS, BENCH_HOURS, BENCH_SPEED, BENCH_POLL_S, BENCH_SEED.
import { runFleetSoak } from "../fleet/run.mjs";

const env = (k, d) => Number(process.env[k] ?? d);
const r = await runFleetSoak({
  hosts: env("BENCH_HOSTS", 1_000),
  hours: env("BENCH_HOURS", 24),
  speed: env("BENCH_SPEED", 60),
  pollMs: env("BENCH_POLL_S", 120) * 1_000,
  seed: env("BENCH_SEED", 7),
  hostsPerRack: env("BENCH_RACK", 20),
  log: (l) => console.log(l),
});
const ms = (x) => (x === null ? "n/a" : `${Math.round(x).toLocaleString()} ms`);
console.log(
  `end state: ${r.vmsLost} VMs lost, ${r.vmsDuplicated} duplicated, ${r.vmsOnSickHost} on a sick host, ` +
    `${r.doubleStarts} double starts, ${r.falseEvacuations} false evacuations ${JSON.stringify(r.falseEvacuated)}, ` +
    `${r.staleSourceMoves} moves from a stale source`,
);
console.log(
  `sick hosts: ${r.sickHosts}, critical seen for ${r.sickDetected}, evacuated ${r.sickEvacuated}; ` +
    `cooling rack: ${r.coolingBmcAlarmHosts} hosts at a BMC critical threshold, Presage events ` +
    `${JSON.stringify(r.coolingRackEvents)}, ${r.coolingRackEvacuated} hosts evacuated, ` +
    `${r.brakeRecords} brake alerts; ${r.agentRestarts} rack agents dropped and restarted`,
);
const ci = r.coolingIncident;
console.log(
  `cooling incident (${ci.rack}, T+${ci.windowSimH[0]}-${ci.windowSimH[1]} h): ${ci.recognised ? "recognised" : "NOT recognised"}, ` +
    `${ci.alerts.length} incident alert(s) ${JSON.stringify(ci.alerts)}; ${ci.hostsDegraded} hosts degraded by the room, ` +
    `${ci.hostsHeld} held, ${ci.hostsEvacuated} evacuated; ${ci.cleared ? "cleared when the room was back" : "not cleared by the end"}`,
);
console.log(
  `event -> evacuation: P50 ${ms(r.eventToEvacuationMs.p50)}, P99 ${ms(r.eventToEvacuationMs.p99)} real ` +
    `(${r.eventToEvacuationSimS.p50 ?? "n/a"} / ${r.eventToEvacuationSimS.p99 ?? "n/a"} simulated s, n=${r.eventToEvacuationMs.n}); ` +
    `evacuation makespan per host: P50 ${r.makespanSimMin.p50 ?? "n/a"}, max ${r.makespanSimMin.max ?? "n/a"} simulated min`,
);
for (const w of r.slowEvacuations)
  console.log(
    `  slow: ${w.host} waited ${w.waitedSimMin} simulated min: critical "${w.critical}"; ${w.path.join(", ")}; "${w.transition}"`,
  );
console.log(
  `migrations: ${JSON.stringify(r.migrations)}; agent messages ${r.agentMessages.toLocaleString()} ` +
    `(${r.eventsPerSec.toLocaleString()}/s), events stored ${r.agentEventsStored}, hung polls ${r.hungPolls}, ` +
    `garbage sent ${r.garbageSent}; NATS in-messages ${r.natsMsgsPerSec.toLocaleString()}/s over the cluster`,
);
for (const p of r.processes)
  console.log(`  ${p.process}: ${p.cpuS} CPU s (${p.cpuPct} % of one core), peak RSS ${p.peakRssMiB} MiB`);
console.log(`wall ${r.wallS} s for ${r.simHours} simulated h at ${r.speed}x`);
console.log(
  JSON.stringify({
    vmsLost: r.vmsLost,
    vmsDuplicated: r.vmsDuplicated,
    vmsOnSickHost: r.vmsOnSickHost,
    doubleStarts: r.doubleStarts,
    falseEvacuations: r.falseEvacuations,
    eventsPerSec: r.eventsPerSec,
    hosts: r.hosts,
    vms: r.vms,
    simHours: r.simHours,
    speed: r.speed,
    eventToEvacuationP50Ms: r.eventToEvacuationMs.p50,
    eventToEvacuationP99Ms: r.eventToEvacuationMs.p99,
    makespanP50SimMin: r.makespanSimMin.p50,
    natsMsgsPerSec: r.natsMsgsPerSec,
    sickEvacuated: r.sickEvacuated,
    sickHosts: r.sickHosts,
    coolingRecognised: ci.recognised,
    coolingIncidentAlerts: ci.alerts.length,
    coolingHostsHeld: ci.hostsHeld,
    coolingHostsEvacuated: ci.hostsEvacuated,
  }),
);
