/**
 * The fleet soak (`pnpm bench:fleet`, and at a small size the CI test test/fleet/fleet.test.ts): a three-node
 * NATS cluster on loopback, the hypervisor, a controller pair (the real binary, engine "remote") and agent pools
 * (many rack agents per process), all on one accelerated timeline, driven through the seeded scenario
 * (scenario.mjs) with its chaos. Runs on the built dist/. Returns the scored end state and the figures.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectNats, scaledClock, seededRandom } from "../../shared/dist/index.js";
import { startNatsCluster } from "../../shared/dist/nats-cluster.js";
import { garbage, runChaos, sleepUntil } from "./chaos.mjs";
import { child, stopChild } from "./children.mjs";
import { natsCounters, round, sampleProcesses, score, watchFleet } from "./observe.mjs";
import { makeScenario } from "./scenario.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CONTROLLER_BIN = join(HERE, "../../controller/dist/bin/presage-controller.js");
const MIN = 60_000;

function controllerConfig(o, name, url, timeline) {
  return {
    nats: { url },
    name,
    engine: { kind: "remote", remote: { timeoutMs: 10_000, pollMs: 1_000 } },
    clockSpeed: o.speed,
    clockStart: timeline,
    leader: { enabled: true, leaseTtlMs: 3_000 },
    reconcile: { intervalMs: 60_000 },
    heartbeat: { lostAfterMs: 6 * o.pollMs },
    // the brake: at most 2 % of the fleet (at least 3 hosts) in remediation at once; quarantined hosts stay in
    // remediation until repaired, and none is repaired in this run
    brake: { maxHosts: Math.max(3, Math.round(o.hosts / 50)), maxPercent: 20 },
    concurrency: { perSource: 4, perTarget: 2, fleet: 24 },
    rebalance: { intervalMs: 2 * 3_600_000, maxMoves: 10, aggressiveness: 3, cooldownMs: 3_600_000 },
    natsLiveness: { pingIntervalMs: 2_000, maxPingOut: 2 },
  };
}

/** Write a child's config into the run's temp dir; returns its path. */
const writer = (dir) => (name, v) => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(v));
  return f;
};

/** The hypervisor, the controller pair and the agent pools, on the run's timeline. */
async function startFleet(ctx) {
  const { sc, opts, cluster, timeline, file, logDir, dir, procs, running } = ctx;
  const statsFile = join(dir, "hv-stats.json");
  const hvConfig = { ...sc, url: cluster.url, speed: opts.speed, ...timeline, statsFile };
  running.hv = child([join(HERE, "hypervisor.mjs"), file("hv.json", hvConfig)], join(logDir, "hypervisor.log"));
  await running.hv.ready;
  procs.track("hypervisor", running.hv.proc.pid);
  ctx.startController = async (name) => {
    const config = file(`${name}.json`, controllerConfig(opts, name, cluster.url, timeline));
    const c = child([CONTROLLER_BIN, "run", "--config", config], join(logDir, `${name}.log`), {
      PRESAGE_LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? "warn",
    });
    c.ready.catch(() => {}); // the controller prints no ready line; an early exit shows in its log
    running.controllers.set(name, c);
    procs.track(name, c.proc.pid);
  };
  await ctx.startController("ctl-a");
  await ctx.startController("ctl-b");
  const perPool = Math.ceil(sc.hosts.length / opts.pools);
  for (let k = 0; k * perPool < sc.hosts.length; k++) {
    const cfg = {
      ...timeline,
      url: cluster.url,
      speed: opts.speed,
      pollMs: opts.pollMs,
      hbMs: opts.pollMs,
      timeoutMs: 2_000,
      hosts: sc.hosts.slice(k * perPool, (k + 1) * perPool),
      ...{ faults: sc.faults, cooling: sc.cooling, drop: sc.drop, hang: sc.hang },
      statsFile: join(dir, `pool-${k}-stats.json`),
    };
    running.pools.push(
      child([join(HERE, "agent-pool.mjs"), file(`pool-${k}.json`, cfg)], join(logDir, `agents-${k + 1}.log`)),
    );
  }
  await Promise.all(running.pools.map((p) => p.ready));
  for (const [k, p] of running.pools.entries()) procs.track(`agents-${k + 1}`, p.proc.pid);
}

function describe(sc, opts, pools, log) {
  const h = (ms) => `T+${round(ms / 3_600_000, 2)} h`;
  const realMin = round(sc.dayMs / opts.speed / MIN, 1);
  log(
    `fleet: ${sc.hosts.length} hosts in ${pools} agent processes, ${sc.vms.length} VMs, ${sc.sick.length} with a fan ` +
      `wearing out; ${opts.hours} simulated h at ${opts.speed}x (${realMin} min real)`,
  );
  log(
    `script: BMC polls of ${sc.hang.hosts.length} hosts hang ${h(sc.hang.fromMs)}-${h(sc.hang.toMs)}; rack ` +
      `${sc.cooling.rack} (${sc.cooling.hosts.length} hosts) loses cooling (+${sc.cooling.deltaC} C inlet) ` +
      `${h(sc.cooling.fromMs)}-${h(sc.cooling.toMs)}; agents of ${sc.drop.hosts.length} hosts stop ` +
      `${h(sc.drop.fromMs)}-${h(sc.drop.toMs)}; garbage on every subject throughout`,
  );
}

/** Stop everything in order and read what each process counted. */
async function collect(ctx) {
  const { running, dir } = ctx;
  const read = (f) => JSON.parse(readFileSync(join(dir, f), "utf8"));
  const pools = [];
  for (const [k, p] of running.pools.entries()) {
    await stopChild(p);
    pools.push(read(`pool-${k}-stats.json`));
  }
  for (const c of running.controllers.values()) await stopChild(c);
  await stopChild(running.hv);
  return { pools, hv: read("hv-stats.json") };
}

const sum = (xs, f) => xs.reduce((n, x) => n + f(x), 0);

/**
 * @param {{ hosts: number, seed?: number, hours?: number, speed: number, pollMs?: number, pools?: number,
 *   hostsPerRack?: number, logDir?: string, log?: (line: string) => void }} o
 */
export async function runFleetSoak(o) {
  const log = o.log ?? (() => {});
  const opts = { seed: 7, hours: 24, pollMs: 120_000, pools: Math.max(1, Math.ceil(o.hosts / 250)), ...o };
  const sc = makeScenario({ hosts: opts.hosts, seed: opts.seed, hours: opts.hours, hostsPerRack: opts.hostsPerRack });
  const dir = mkdtempSync(join(tmpdir(), "presage-fleet-"));
  // the processes' logs outlive the run (the configs and stats do not)
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), "presage-fleet-logs-"));
  log(`logs: ${logDir}`);
  const procs = sampleProcesses();
  const cluster = await startNatsCluster();
  for (const [i, n] of cluster.nodes.entries()) procs.track(`nats-${i + 1}`, n.proc.pid);
  const t0 = Date.now();
  const timeline = { startMs: t0, realStartMs: t0 };
  const clock = scaledClock(opts.speed, t0, t0);
  const since = () => clock.now() - t0;
  const nc = await connectNats({ url: cluster.url, name: "fleet-bench" });
  const watched = watchFleet(nc);
  const running = { controllers: new Map(), pools: [], hv: null };
  const ctx = { sc, opts, cluster, timeline, file: writer(dir), logDir, dir, procs, running, nc, since, log };
  try {
    await startFleet(ctx);
    describe(sc, opts, running.pools.length, log);
    const junk = garbage(
      nc,
      sc.hosts.map((h) => h.name),
      seededRandom(opts.seed),
      20,
    );
    const nats0 = await natsCounters(cluster.nodes);
    const chaos = await runChaos(sc, { ...ctx, startController: ctx.startController });
    await sleepUntil(() => since() >= sc.dayMs);
    const wallS = (Date.now() - t0) / 1000;
    const garbageSent = junk.stop();
    const nats1 = await natsCounters(cluster.nodes);
    log("day over: stopping agents, controllers and the hypervisor");
    const { pools, hv } = await collect(ctx);
    const agentMessages = sum(pools, (p) => p.outMsgs);
    return {
      ...score(sc, watched, hv),
      eventsPerSec: Math.round(agentMessages / wallS),
      ...{
        hosts: sc.hosts.length,
        vms: sc.vms.length,
        simHours: opts.hours,
        speed: opts.speed,
        wallS: round(wallS, 1),
      },
      agentMessages,
      agentEventsStored: sum(pools, (p) => p.events),
      hungPolls: sum(pools, (p) => p.hungPolls),
      agentRestarts: sum(pools, (p) => p.restarts),
      coolingRackEvents: watched.bySeverity(sc.cooling.hosts),
      coolingBmcAlarmHosts: sum(pools, (p) => p.coolingBmcAlarmHosts.length),
      ...{ criticalEventsSeen: watched.events, brakeRecords: watched.brake, garbageSent, chaos },
      natsMsgsPerSec: natsRate(nats0, nats1, wallS),
      processes: procs.report(wallS),
    };
  } finally {
    watched.stop();
    for (const c of [...running.controllers.values(), ...running.pools, running.hv].filter(Boolean))
      await stopChild(c, "SIGKILL");
    await nc.close().catch(() => {});
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function natsRate(before, after, wallS) {
  let inMsgs = 0;
  for (const a of after) {
    const b = before.find((x) => x.node === a.node);
    // a node restarted in the run counts from zero again: take its whole counter
    inMsgs += b && a.inMsgs >= b.inMsgs ? a.inMsgs - b.inMsgs : a.inMsgs;
  }
  return Math.round(inMsgs / wallS);
}
