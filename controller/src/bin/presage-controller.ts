#!/usr/bin/env node
/**
 * `presage-controller run [--config FILE]`: the live controller. Connects to NATS, builds the
 * migration engine from config, campaigns for leadership and, while leader, serves the operator
 * API. SIGTERM/SIGINT stop it cleanly (lease released so a follower takes over at once).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  connectNats,
  createLogger,
  inboxes,
  PRESAGE_VERSION,
  reportFatal,
  scaledClock,
  serveMetrics,
  systemClock,
} from "@presage/shared";
import { checkControllerConfig } from "../check-config.js";
import { loadControllerConfig } from "../config.js";
import { createController } from "../controller.js";
import { startDashboard } from "../http/server.js";
import { controllerMetrics } from "../metrics/index.js";
import { createEngine } from "../migration/index.js";
import { startOpsService } from "../ops/service.js";
import { exportState, importState } from "../state-backup.js";

const USAGE = `usage: presage-controller run [--config FILE]
       presage-controller check-config [--config FILE] [--json]
       presage-controller state export [--config FILE] [--output FILE]
       presage-controller state import FILE [--config FILE]

  run              run the controller (leader election, reconcile loop, operator API)
  check-config     validate the config (and env overrides) as run would, connect nowhere; exit 0 when
                   it would start, 2 with the offending key otherwise (docs/configuration.md)
  state export     write the KV state (hosts, VMs, alerts, migrations, plans) as JSON, online
  state import     restore such a file; refused while a controller holds the leader lease
                   (docs/operations.md, "Backups")
  --config FILE    JSON config (see docs/configuration.md); env overrides: NATS_URL, NATS_USER,
                   NATS_PASS, NATS_TOKEN, NATS_CREDS, PRESAGE_CONTROLLER_NAME, PRESAGE_POLICY_MODE,
                   PRESAGE_CLOCK_SPEED, PRESAGE_METRICS_LISTEN, PRESAGE_ALERTMANAGER_URL
  -h, --help       this help`;

/** the server the controller was told to use, for the one-line error when it cannot start */
let natsUrl: string | undefined;

async function run(configFile: string | undefined): Promise<number> {
  const cfg = loadControllerConfig(configFile);
  natsUrl = cfg.nats.url;
  const log = createLogger("presage-controller");
  const { startMs, realStartMs } = cfg.clockStart;
  const clock =
    cfg.clockSpeed === 1 && startMs === null
      ? systemClock
      : scaledClock(cfg.clockSpeed, startMs ?? Date.now(), realStartMs ?? Date.now());
  const metrics = controllerMetrics();
  // bind the metrics address first: one in use fails before anything touches NATS
  const server = cfg.metrics.listen !== null ? await serveMetrics(metrics, cfg.metrics.listen) : null;
  if (server) log.info({ metrics: `http://${server.address}/metrics` }, `metrics on ${server.address}`);
  const nc = await connectNats({ inboxPrefix: inboxes.controller, ...cfg.nats, name: cfg.name }, log, cfg.natsLiveness);
  const engine = await createEngine(cfg.engine, { nc, clock, log });
  const ctl = await createController({ nc, engine, config: cfg, clock, log, metrics });
  // every replica listens; only the one holding the lease answers (ops/service.ts)
  const ops = await startOpsService(nc, ctl, { log, metrics, version: PRESAGE_VERSION, role: () => ctl.opsRole() });
  await ctl.start();
  // every replica serves the page; a follower's API says where the leader is
  const dashboard = cfg.http.listen
    ? await startDashboard({ nc, controller: ctl, http: cfg.http, log, metrics })
    : null;
  log.info({ nats: cfg.nats.url, engine: cfg.engine.kind, mode: cfg.policy.mode }, "controller started");

  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("stopping");
  await dashboard?.stop();
  await ctl.stop();
  await ops.stop();
  await engine.close();
  await server?.close();
  await nc.drain().catch(() => {});
  return 0;
}

async function state(args: string[], configFile?: string, output?: string): Promise<number> {
  const [op, file] = args;
  if (!(op === "export" && !file) && !(op === "import" && file)) {
    console.error(`usage: presage-controller state export [--output FILE] | state import FILE\n${USAGE}`);
    return 2;
  }
  const cfg = loadControllerConfig(configFile);
  const nc = await connectNats({ inboxPrefix: inboxes.controller, ...cfg.nats, name: `${cfg.name}-state` });
  try {
    if (op === "export") {
      const text = `${JSON.stringify(await exportState(nc), null, 2)}\n`;
      if (output) writeFileSync(output, text, { mode: 0o600 });
      else process.stdout.write(text);
    } else {
      const written = await importState(nc, JSON.parse(readFileSync(file as string, "utf8")));
      console.log(
        `imported: ${Object.entries(written)
          .map(([b, n]) => `${b} ${n}`)
          .join(", ")}`,
      );
    }
  } finally {
    await nc.drain().catch(() => {});
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      json: { type: "boolean" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals[0] === "check-config" && positionals.length === 1) {
    const r = checkControllerConfig(values.config);
    console.log(values.json ? JSON.stringify(r) : r.summary);
    return 0;
  }
  if (positionals[0] === "state") return state(positionals.slice(1), values.config, values.output);
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
