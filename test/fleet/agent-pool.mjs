/**
 * One process of the fleet soak's agents: the real agent (startAgent: poller, detector, outbox, heartbeats) once
 * per rack, each rack agent with its own NATS connection (the cluster's URL list) and a simulated BMC per host.
 * The scenario's physical script runs here on the shared timeline: injected faults, the rack's cooling event, BMC
 * polls that hang, and the dropped agents (stopped, then started again on the same hardware models).
 * Usage: node agent-pool.mjs CONFIG.json; on SIGTERM it stops and writes its counters to config.statsFile.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { AGENT_DEFAULTS } from "../../agent/dist/config.js";
import { startAgent } from "../../agent/dist/run.js";
import { bmcCritical } from "../../agent/dist/sim/bmc.js";
import { createHostModel } from "../../agent/dist/sim/host.js";
import { simulatedSource } from "../../agent/dist/sources/simulated.js";
import { connectNats, scaledClock, silentLogger } from "../../shared/dist/index.js";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const clock = scaledClock(cfg.speed, cfg.startMs, cfg.realStartMs);
const since = () => clock.now() - cfg.startMs;
/** cooling-rack hosts whose own BMC reached a critical threshold during the event (what a BMC alarm would page) */
const bmcAlarmHosts = new Set();
const within = (w, host) => w.hosts.includes(host) && since() >= w.fromMs && since() < w.toMs;

function source(h) {
  const model = createHostModel({ host: h.name, seed: h.seed });
  for (const f of cfg.faults[h.name] ?? []) {
    const { afterMs, ...rest } = f;
    model.injectFault({ ...rest, start: cfg.startMs + afterMs });
  }
  const base = simulatedSource(model, clock, { seed: h.seed });
  let hung = 0;
  return {
    name: base.name,
    host: h.name,
    hung: () => hung,
    poll(signal) {
      model.setRoomC(within(cfg.cooling, h.name) ? 22 + cfg.cooling.deltaC : null);
      if (within(cfg.hang, h.name)) {
        hung++;
        return new Promise(() => {}); // a BMC that never answers: the poller's wall-clock limit ends it
      }
      return base.poll(signal).then((rs) => {
        if (within(cfg.cooling, h.name) && rs.some(bmcCritical)) bmcAlarmHosts.add(h.name);
        return rs;
      });
    },
  };
}

const racks = new Map();
for (const h of cfg.hosts) {
  if (!racks.has(h.rack)) racks.set(h.rack, []);
  racks.get(h.rack).push(source(h));
}

const agentConfig = (rack) => ({
  ...AGENT_DEFAULTS,
  host: `rack-${rack}`,
  nats: { url: cfg.url },
  pollIntervalMs: cfg.pollMs,
  heartbeatIntervalMs: cfg.hbMs,
  sourceTimeoutMs: cfg.timeoutMs,
  failureThreshold: 3,
  maxBackoffMs: 4 * cfg.pollMs,
  // a 6 h evacuation horizon, as the demo: warning, then critical, within the simulated day
  detect: { horizonMs: 6 * 3_600_000 },
  clock: { speed: cfg.speed, startMs: cfg.startMs, realStartMs: cfg.realStartMs },
});

/** rack -> { agent, nc } while it runs */
const running = new Map();
const totals = { outMsgs: 0, outBytes: 0, events: 0, restarts: 0 };

async function startRack(rack) {
  const nc = await connectNats({ url: cfg.url, name: `agent-rack-${rack}` }, undefined, {
    pingIntervalMs: 2_000,
    maxPingOut: 2,
  });
  const agent = await startAgent({ config: agentConfig(rack), nc, clock, log: silentLogger, sources: racks.get(rack) });
  running.set(rack, { agent, nc });
}

async function stopRack(rack) {
  const r = running.get(rack);
  if (!r) return;
  running.delete(rack);
  await r.agent.stop();
  totals.events += await r.agent.metrics.total("presage_agent_events_published_total");
  const st = r.nc.stats();
  totals.outMsgs += st.outMsgs;
  totals.outBytes += st.outBytes;
  await r.nc.close();
}

const dropRacks = [...racks.keys()].filter((k) => racks.get(k).some((s) => cfg.drop.hosts.includes(s.host)));
await Promise.all([...racks.keys()].map(startRack));
process.stdout.write(`ready ${racks.size}\n`);

// the drop: those racks' agents stop (no heartbeats, no readings) and come back on the same hardware
let phase = "before";
const ticker = setInterval(async () => {
  const t = since();
  if (phase === "before" && t >= cfg.drop.fromMs) {
    phase = "dropped";
    await Promise.all(dropRacks.map(stopRack));
  } else if (phase === "dropped" && t >= cfg.drop.toMs) {
    phase = "back";
    totals.restarts += dropRacks.length;
    await Promise.all(dropRacks.map(startRack));
  }
}, 250);

async function shutdown() {
  clearInterval(ticker);
  await Promise.all([...running.keys()].map(stopRack));
  const c = process.cpuUsage();
  const hung = [...racks.values()].flat().reduce((n, s) => n + s.hung(), 0);
  writeFileSync(
    cfg.statsFile,
    JSON.stringify({
      ...totals,
      hosts: cfg.hosts.length,
      rackAgents: racks.size,
      hungPolls: hung,
      coolingBmcAlarmHosts: [...bmcAlarmHosts],
      droppedRacks: dropRacks.length,
      cpuS: (c.user + c.system) / 1e6,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
