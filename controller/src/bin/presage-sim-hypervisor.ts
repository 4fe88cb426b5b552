#!/usr/bin/env node
/**
 * A simulated hypervisor in its own process: a SimEngine served over NATS (see docs/migration.md).
 * The controller (engine.kind "remote") can be kill -9'd while this process keeps the VMs and
 * migrations; chaos tests drive host failures through the control subjects.
 */
import { parseArgs } from "node:util";
import { connectNats, createLogger, scaledClock, systemClock } from "@presage/shared";
import { loadFleet } from "../migration/index.js";
import { DEFAULT_ENGINE_PREFIX } from "../migration/remote/protocol.js";
import { serveEngine } from "../migration/remote/server.js";
import { SimEngine } from "../migration/sim/engine.js";
import { generateFleet } from "../migration/sim/fleet.js";

const USAGE = `usage: presage-sim-hypervisor --server URL (--fleet FILE.json | --hosts N --vms-per-host M)
  [--speed N] [--seed N] [--prefix ${DEFAULT_ENGINE_PREFIX}] [--link-bandwidth BYTES_PER_S]
  [--downtime-limit MS] [--max-rounds N] [--no-converge force|fail]`;

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      server: { type: "string", default: process.env.NATS_URL },
      fleet: { type: "string" },
      hosts: { type: "string" },
      "vms-per-host": { type: "string" },
      speed: { type: "string", default: "1" },
      seed: { type: "string", default: "1" },
      prefix: { type: "string", default: DEFAULT_ENGINE_PREFIX },
      "link-bandwidth": { type: "string" },
      "downtime-limit": { type: "string" },
      "max-rounds": { type: "string" },
      "no-converge": { type: "string", default: "force" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
    return n;
  };
  if (!a.server) throw new Error(`--server (or NATS_URL) is required\n${USAGE}`);
  if (!a.fleet && a.hosts === undefined) throw new Error(`--fleet or --hosts is required\n${USAGE}`);
  if (a["no-converge"] !== "force" && a["no-converge"] !== "fail")
    throw new Error("--no-converge must be force or fail");
  const seed = num("seed", a.seed) ?? 1;
  const speed = num("speed", a.speed) ?? 1;
  const fleet = a.fleet
    ? loadFleet(a.fleet)
    : generateFleet({
        hosts: num("hosts", a.hosts) ?? 0,
        vmsPerHost: num("vms-per-host", a["vms-per-host"]) ?? 10,
        seed,
      });

  const log = createLogger("presage-sim-hypervisor");
  const nc = await connectNats({ url: a.server, name: "presage-sim-hypervisor" }, log);
  const engine = new SimEngine({
    ...fleet,
    clock: speed === 1 ? systemClock : scaledClock(speed),
    seed,
    linkBandwidthBps: num("link-bandwidth", a["link-bandwidth"]),
    downtimeLimitMs: num("downtime-limit", a["downtime-limit"]),
    maxRounds: num("max-rounds", a["max-rounds"]),
    onNoConvergence: a["no-converge"],
    log,
  });
  const server = serveEngine(nc, engine, { prefix: a.prefix, log });
  await server.ready;
  log.info({ hosts: fleet.hosts.length, vms: fleet.vms.length, prefix: a.prefix, speed }, "sim hypervisor ready");
  // one line on stdout so scripts and tests can wait for readiness
  console.log(JSON.stringify({ ready: true, prefix: a.prefix, hosts: fleet.hosts.length, vms: fleet.vms.length }));

  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await server.stop();
  await engine.close();
  await nc.drain();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`presage-sim-hypervisor: ${(e as Error).message}`);
    process.exit(2);
  },
);
