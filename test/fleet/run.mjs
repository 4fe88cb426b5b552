/**
 * The fleet soak (`pnpm bench:fleet`, and at a small size the CI test test/fleet/fleet.test.ts): a three-node
 * NATS cluster on loopback, the hypervisor, a controller pair (the real binary, engine "remote") and agent pools
 * (many rack agents per process), all on one accelerated timeline, driven through the seeded scenario
 * (scenario.mjs) with its chaos. Runs on the built dist/. Returns the scored end state and the figures.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openControlBucket } from "../../controller/dist/store/index.js";
import { startNatsCluster } from "../../shared/dist/nats-cluster.js";
import { connectNats, scaledClock, seededRandom } from "../../shared/dist/index.js";
import { natsCounters, round, sampleProcesses, score, watchFleet } from "./observe.mjs";
import { makeScenario } from "./scenario.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CONTROLLER_BIN = join(HERE, "../../controller/dist/bin/presage-controller.js");
const MIN = 60_000;

/** Spawn a node script; resolves once it prints a line on stdout (its "ready"). */
function child(args, logFile, env = {}) {
  const err = openSync(logFile, "a");
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", err], env: { ...process.env, ...env } });
  closeSync(err);
  const ready = new Promise((resolve, reject) => {
    proc.stdout.once("data", resolve);
    proc.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before it was ready`)));
  });
  proc.stdout.resume();
  const exited = new Promise((r) => proc.once("exit", r));
  return { proc, ready, exited };
}

async function stopChild(c, signal = "SIGTERM") {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill("SIGKILL"), 20_000);
  await c.exited;
  clearTimeout(t);
}

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
    // the default brake: at most 3 hosts (and 20 %) in remediation at once
    brake: { maxHosts: 3, maxPercent: 20 },
    concurrency: { perSource: 4, perTarget: 2, fleet: 24 },
    rebalance: { intervalMs: 2 * 3_600_000, maxMoves: 10, aggressiveness: 3, cooldownMs: 3_600_000 },
    natsLiveness: { pingIntervalMs: 2_000, maxPingOut: 2 },
  };
}

/** Garbage on every subject Presage listens on, at `perSec`: not JSON, JSON of the wrong shape, hostile sizes. */
function garbage(nc, hosts, rnd, perSec) {
  const shapes = [
    () => "not json {",
    () => JSON.stringify({ host: 42, severity: "apocalyptic" }),
    () => JSON.stringify({ host: "h-unknown", readings: [{ sensor: "x".repeat(5_000), value: "hot" }] }),
    () => JSON.stringify([1, 2, 3]),
    () => "\u0000\u00ff".repeat(100),
  ];
  const host = () => hosts[Math.floor(rnd() * hosts.length)];
  const subjects = [
    () => `presage.v1.readings.${host()}`,
    () => `presage.v1.health.${host()}`,
    () => `presage.v1.events.${host()}`,
    () => `presage.v1.commands.${host()}`,
    () => "presage.v1.ops.hosts",
    () => "presage.v1.ops.maintenance-enter",
    () => "presage.v1.sim.engine.migrate",
    () => "presage.v1.sim.engine.progress",
  ];
  let sent = 0;
  const timer = setInterval(() => {
    const s = subjects[Math.floor(rnd() * subjects.length)]();
    try {
      nc.publish(s, shapes[Math.floor(rnd() * shapes.length)]());
      sent++;
    } catch {
      // NATS away for a moment
    }
  }, 1_000 / perSec);
  return { stop: () => (clearInterval(timer), sent) };
}

/**
 * @param {{ hosts: number, seed?: number, hours?: number, speed: number, pollMs?: number, pools?: number,
 *   log?: (line: string) => void }} o
 */
export async function runFleetSoak(o) {
  const log = o.log ?? (() => {});
  const opts = { seed: 7, hours: 24, pollMs: 120_000, pools: Math.max(1, Math.ceil(o.hosts / 250)), ...o };
  const sc = makeScenario({ hosts: opts.hosts, seed: opts.seed, hours: opts.hours });
  const dir = mkdtempSync(join(tmpdir(), "presage-fleet-"));
  // the processes' logs outlive the run (the configs and stats do not)
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), "presage-fleet-logs-"));
  log(`logs: ${logDir}`);
  const procs = sampleProcesses();
  const cluster = await startNatsCluster();
  cluster.nodes.forEach((n, i) => procs.track(`nats-${i + 1}`, n.proc.pid));
  const t0 = Date.now();
  const timeline = { startMs: t0, realStartMs: t0 };
  const clock = scaledClock(opts.speed, t0, t0);
  const since = () => clock.now() - t0;
  const file = (name, v) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(v));
    return f;
  };
  const nc = await connectNats({ url: cluster.url, name: "fleet-bench" });
  const watched = watchFleet(nc);
  const running = { controllers: new Map(), pools: [], hv: null };
  try {
    const hv = (running.hv = child([join(HERE, "hypervisor.mjs"), file("hv.json", { ...sc, url: cluster.url, speed: opts.speed, ...timeline, statsFile: join(dir, "hv-stats.json") })], join(logDir, "hypervisor.log")));
    await hv.ready;
    procs.track("hypervisor", hv.proc.pid);
    const startController = async (name) => {
      const c = child([CONTROLLER_BIN, "run", "--config", file(`${name}.json`, controllerConfig(opts, name, cluster.url, timeline))], join(logDir, `${name}.log`), { PRESAGE_LOG_LEVEL: "warn" });
      c.ready.catch(() => {});
      running.controllers.set(name, c);
      procs.track(name, c.proc.pid);
    };
    await startController("ctl-a");
    await startController("ctl-b");
    const perPool = Math.ceil(sc.hosts.length / opts.pools);
    for (let k = 0; k < opts.pools; k++) {
      const hosts = sc.hosts.slice(k * perPool, (k + 1) * perPool);
      if (!hosts.length) break;
      const cfg = { url: cluster.url, speed: opts.speed, ...timeline, pollMs: opts.pollMs, hbMs: opts.pollMs, timeoutMs: 2_000, hosts, faults: sc.faults, cooling: sc.cooling, drop: sc.drop, hang: sc.hang, statsFile: join(dir, `pool-${k}-stats.json`) };
      const p = child([join(HERE, "agent-pool.mjs"), file(`pool-${k}.json`, cfg)], join(logDir, `agents-${k + 1}.log`));
      running.pools.push(p);
    }
    await Promise.all(running.pools.map((p) => p.ready));
    running.pools.forEach((p, k) => procs.track(`agents-${k + 1}`, p.proc.pid));
    log(`fleet: ${sc.hosts.length} hosts in ${running.pools.length} agent processes, ${sc.vms.length} VMs, ${sc.sick.length} with a fan wearing out; ${opts.hours} simulated h at ${opts.speed}x (${round((sc.dayMs / opts.speed) / MIN, 1)} min real)`);
    const h = (ms) => `T+${round(ms / 3_600_000, 2)} h`;
    log(
      `script: BMC polls of ${sc.hang.hosts.length} hosts hang ${h(sc.hang.fromMs)}-${h(sc.hang.toMs)}; rack ${sc.cooling.rack} ` +
        `(${sc.cooling.hosts.length} hosts) loses cooling (+${sc.cooling.deltaC} C inlet) ${h(sc.cooling.fromMs)}-${h(sc.cooling.toMs)}; ` +
        `agents of ${sc.drop.hosts.length} hosts stop ${h(sc.drop.fromMs)}-${h(sc.drop.toMs)}; garbage on every subject throughout`,
    );
    const junk = garbage(nc, sc.hosts.map((h) => h.name), seededRandom(opts.seed), 20);
    const nats0 = await natsCounters(cluster.nodes);
    const chaos = await runChaos(sc, { cluster, nc, since, log, running, startController });
    await sleepUntil(() => since() >= sc.dayMs);
    const wallS = (Date.now() - t0) / 1000;
    const garbageSent = junk.stop();
    const nats1 = await natsCounters(cluster.nodes);
    log("day over: stopping agents, controllers and the hypervisor");
    const pools = [];
    for (const [k, p] of running.pools.entries()) {
      await stopChild(p);
      pools.push(JSON.parse(readFileSync(join(dir, `pool-${k}-stats.json`), "utf8")));
    }
    for (const c of running.controllers.values()) await stopChild(c);
    await stopChild(hv);
    const hvStats = JSON.parse(readFileSync(join(dir, "hv-stats.json"), "utf8"));
    const agentMsgs = pools.reduce((n, p) => n + p.outMsgs, 0);
    return {
      ...score(sc, watched, hvStats),
      eventsPerSec: Math.round(agentMsgs / wallS),
      hosts: sc.hosts.length,
      vms: sc.vms.length,
      simHours: opts.hours,
      speed: opts.speed,
      wallS: round(wallS, 1),
      agentMessages: agentMsgs,
      agentEventsStored: pools.reduce((n, p) => n + p.events, 0),
      hungPolls: pools.reduce((n, p) => n + p.hungPolls, 0),
      agentRestarts: pools.reduce((n, p) => n + p.restarts, 0),
      coolingRackEvents: watched.bySeverity(sc.cooling.hosts),
      criticalEventsSeen: watched.events,
      brakeRecords: watched.brake,
      garbageSent,
      chaos,
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function sleepUntil(cond) {
  while (!cond()) await sleep(200);
}

async function leaderName(nc) {
  const kv = await openControlBucket(nc);
  const e = await kv.get("leader");
  const lease = e ? e.json() : null;
  return lease && lease.expiresAt > Date.now() ? lease.holder : null;
}

async function ops(nc, op, body) {
  const r = await nc.request(`presage.v1.ops.${op}`, JSON.stringify({ ...body, by: "fleet-bench" }), { timeout: 10_000 });
  return r.json();
}

/** The scenario's chaos in order, each at its simulated time; returns what was done and when. */
async function runChaos(sc, env) {
  const done = [];
  const { cluster, nc, since, log, running, startController } = env;
  let killed = null;
  let natsDown = null;
  for (const step of sc.chaos) {
    await sleepUntil(() => since() >= step.atMs);
    const at = `T+${round(since() / 3_600_000, 2)} h`;
    try {
      if (step.action === "kill-leader") {
        killed = await leaderName(nc);
        const c = killed && running.controllers.get(killed);
        if (c) await stopChild(c, "SIGKILL");
        log(`${at}: kill -9 the leader controller ${killed ?? "(none holds the lease!)"}`);
      } else if (step.action === "restart-controller" && killed) {
        await startController(killed);
        log(`${at}: ${killed} started again`);
      } else if (step.action === "nats-kill") {
        natsDown = step.node;
        await cluster.kill(step.node);
        log(`${at}: kill -9 NATS node ${cluster.nodes[step.node].name}`);
      } else if (step.action === "nats-start" && natsDown !== null) {
        await cluster.start(natsDown);
        log(`${at}: NATS node ${cluster.nodes[natsDown].name} back and JetStream-healthy`);
      } else if (step.action === "maintenance-enter" || step.action === "maintenance-exit") {
        const why = step.action === "maintenance-enter" ? { reason: "fleet bench: planned work" } : { note: "done" };
        const r = await ops(nc, step.action, { hosts: [sc.maintenance.host], ...why });
        log(`${at}: ${step.action} ${sc.maintenance.host}: ${r.ok === false ? JSON.stringify(r.error) : "ok"}`);
      }
      done.push({ action: step.action, at });
    } catch (e) {
      log(`${at}: ${step.action} failed: ${e.message}`);
      done.push({ action: step.action, at, error: e.message });
    }
  }
  return done;
}
