/**
 * The fleet soak's chaos, each step at its simulated time: kill -9 of the leader controller and its restart, a
 * NATS node killed and started again, planned maintenance through the ops API, and garbage on every subject
 * Presage listens on. (Dropped agents, hanging BMC polls and the cooling failure run in the agent pools.)
 */
import { openControlBucket } from "../../controller/dist/store/index.js";
import { stopChild } from "./children.mjs";
import { round } from "./observe.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function sleepUntil(cond) {
  while (!cond()) await sleep(200);
}

/** Garbage on every subject Presage listens on, at `perSec`: not JSON, JSON of the wrong shape, hostile sizes. */
export function garbage(nc, hosts, rnd, perSec) {
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
  return {
    stop: () => {
      clearInterval(timer);
      return sent;
    },
  };
}

async function leaderName(nc) {
  const kv = await openControlBucket(nc);
  const e = await kv.get("leader");
  const lease = e ? e.json() : null;
  return lease && lease.expiresAt > Date.now() ? lease.holder : null;
}

/**
 * An operator's request; like the CLI it asks again when no leader answers in time or none holds the lease yet (a
 * failover in progress: the chaos kills leaders and NATS nodes), for up to `forMs` of real time.
 */
async function ops(nc, op, body, forMs = 60_000) {
  const deadline = Date.now() + forMs;
  for (let i = 1; ; i++) {
    let reply;
    try {
      const r = await nc.request(`presage.v1.ops.${op}`, JSON.stringify({ ...body, by: "fleet-bench" }), {
        timeout: 10_000,
      });
      reply = { ...r.json(), tries: i };
    } catch (e) {
      if (Date.now() >= deadline) throw e;
    }
    if (reply && (reply.ok !== false || reply.error?.code !== "not_leader" || Date.now() >= deadline)) return reply;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The scenario's chaos in order, each at its simulated time; returns what was done and when. */
export async function runChaos(sc, env) {
  const done = [];
  const { cluster, nc, since, log, running, startController } = env;
  let killed = null;
  let natsDown = null;
  let inMaintenance = false;
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
        const t = Date.now();
        await cluster.start(natsDown);
        const s = round((Date.now() - t) / 1000, 1);
        log(`${at}: NATS node ${cluster.nodes[natsDown].name} back, the cluster JetStream-healthy after ${s} s`);
      } else if (step.action === "maintenance-enter" || (step.action === "maintenance-exit" && inMaintenance)) {
        const why = step.action === "maintenance-enter" ? { reason: "fleet bench: planned work" } : { note: "done" };
        const r = await ops(nc, step.action, { hosts: [sc.maintenance.host], ...why });
        const how = r.ok === false ? JSON.stringify(r.error) : `ok (${r.tries} ${r.tries === 1 ? "try" : "tries"})`;
        log(`${at}: ${step.action} ${sc.maintenance.host}: ${how}`);
        if (r.ok === false) throw new Error(r.error?.message ?? JSON.stringify(r.error));
        inMaintenance = step.action === "maintenance-enter";
      }
      done.push({ action: step.action, at });
    } catch (e) {
      log(`${at}: ${step.action} failed: ${e.message}`);
      done.push({ action: step.action, at, error: e.message });
    }
  }
  return done;
}
