#!/usr/bin/env node
/**
 * `presage-controller run [--config FILE]`: the live controller. Connects to NATS, builds the
 * migration engine from config, campaigns for leadership and, while leader, serves the operator
 * API. SIGTERM/SIGINT stop it cleanly (lease released so a follower takes over at once).
 */
import { parseArgs } from "node:util";
import {
  connectNats,
  createLogger,
  inboxes,
  Metrics,
  reportFatal,
  scaledClock,
  serveMetrics,
  systemClock,
} from "@presage/shared";
import { loadControllerConfig } from "../config.js";
import { createController } from "../controller.js";
import { createEngine } from "../migration/index.js";
import { startOpsService } from "../ops/service.js";

const USAGE = `usage: presage-controller run [--config FILE]

  run              run the controller (leader election, reconcile loop, operator API)
  --config FILE    JSON config (see docs/controller.md); env overrides: NATS_URL, NATS_USER,
                   NATS_PASS, NATS_TOKEN, NATS_CREDS, PRESAGE_CONTROLLER_NAME, PRESAGE_POLICY_MODE,
                   PRESAGE_CLOCK_SPEED
  -h, --help       this help`;

const VERSION = "0.1.0";

/** the server the controller was told to use, for the one-line error when it cannot start */
let natsUrl: string | undefined;

async function run(configFile: string | undefined): Promise<number> {
  const cfg = loadControllerConfig(configFile);
  natsUrl = cfg.nats.url;
  const log = createLogger("presage-controller");
  const clock = cfg.clockSpeed === 1 ? systemClock : scaledClock(cfg.clockSpeed);
  const metrics = new Metrics();
  // bind the metrics port first: a port in use fails before anything touches NATS
  const server = cfg.metricsPort !== null ? await serveMetrics(metrics, { port: cfg.metricsPort }) : null;
  const nc = await connectNats({ inboxPrefix: inboxes.controller, ...cfg.nats, name: cfg.name }, log, cfg.natsLiveness);
  const engine = await createEngine(cfg.engine, { nc, clock, log });
  const ctl = await createController({ nc, engine, config: cfg, clock, log, metrics });
  // every replica listens; only the one holding the lease answers (ops/service.ts)
  const ops = await startOpsService(nc, ctl, { log, metrics, version: VERSION, role: () => ctl.opsRole() });
  await ctl.start();
  log.info({ nats: cfg.nats.url, engine: cfg.engine.kind, mode: cfg.policy.mode }, "controller started");

  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("stopping");
  await ctl.stop();
  await ops.stop();
  await engine.close();
  server?.close();
  await nc.drain().catch(() => {});
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== "run" || positionals.length > 1) {
    console.error(`unknown command: ${positionals.join(" ")}\n${USAGE}`);
    return 2;
  }
  return run(values.config);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => process.exit(reportFatal("presage-controller", e, { natsUrl })),
);
