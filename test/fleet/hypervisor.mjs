/**
 * The fleet soak's hypervisor: the scenario's VMs in a SimEngine on the shared timeline, served over NATS (the
 * controllers use engine "remote", so either can be kill -9'd while VMs and migrations carry on here). It also
 * keeps the end-state evidence only a hypervisor has: how often a controller asked to start a VM that was
 * already migrating (a double start on a real hypervisor) or to move it from a host it was not on.
 * Usage: node hypervisor.mjs CONFIG.json; on SIGTERM it writes its counters to config.statsFile.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { serveEngine } from "../../controller/dist/migration/remote/server.js";
import { SimEngine } from "../../controller/dist/migration/sim/engine.js";
import { connectNats, scaledClock, silentLogger } from "../../shared/dist/index.js";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const clock = scaledClock(cfg.speed, cfg.startMs, cfg.realStartMs);
const hosts = cfg.hosts.map((h) => ({
  name: h.name,
  cpuCapacity: h.cpuCapacity,
  memoryMiB: h.memoryMiB,
  rack: `rack-${h.rack}`,
}));
const engine = new SimEngine({ hosts, vms: cfg.vms, clock, seed: cfg.seed, log: silentLogger });
const counts = { migrations: 0, completed: 0, failed: 0, doubleStarts: 0, wrongSource: 0, refused: 0 };
/** vm -> id of its migration in flight */
const inflight = new Map();

async function migrate(vm, to, opts) {
  const other = inflight.get(vm);
  if (other !== undefined && other !== opts.migrationId) counts.doubleStarts++;
  const where = await engine.locate(vm);
  if (opts.from && where && where !== opts.from) counts.wrongSource++;
  let handle;
  try {
    handle = await engine.migrate(vm, to, opts);
  } catch (e) {
    counts.refused++;
    throw e;
  }
  counts.migrations++;
  inflight.set(vm, opts.migrationId);
  void handle.done.then((p) => {
    if (inflight.get(vm) === opts.migrationId) inflight.delete(vm);
    if (p.phase === "completed") counts.completed++;
    else counts.failed++;
  });
  return handle;
}

// every other call goes to the engine itself (bound: its fields are private)
const counted = new Proxy(engine, {
  get: (t, k) => (k === "migrate" ? migrate : typeof t[k] === "function" ? t[k].bind(t) : t[k]),
});
const nc = await connectNats({ url: cfg.url, name: "fleet-hypervisor" }, undefined, {
  pingIntervalMs: 2_000,
  maxPingOut: 2,
});
const server = serveEngine(nc, counted, { log: silentLogger, progressIntervalMs: 1_000 });
await server.ready;
process.stdout.write("ready\n");

process.once("SIGTERM", async () => {
  const placement = (await engine.listVms()).map((v) => [v.id, v.host]);
  await server.stop();
  await engine.close();
  const c = process.cpuUsage();
  writeFileSync(
    cfg.statsFile,
    JSON.stringify({
      ...counts,
      placement,
      cpuS: (c.user + c.system) / 1e6,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  await nc.close();
  process.exit(0);
});
