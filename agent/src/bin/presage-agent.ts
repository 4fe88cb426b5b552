#!/usr/bin/env node
/** presage-agent: run the live agent, parse captures, show what the sources see, replay readings. */
import { createReadStream, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  ConfigError,
  connectNats,
  createLogger,
  DaemonExit,
  hostNameError,
  inboxes,
  reportFatal,
  serveMetrics,
} from "@presage/shared";
import { type AgentConfig, loadAgentConfig } from "../config.js";
import { FORMATS, isFormat, newParseStats, parsers } from "../parse/index.js";
import { renderSensors, type SourceSnapshot } from "../sensors-table.js";
import { AGENT_VERSION } from "../version.js";

// commands load the heavy parts (detector, sources, systeminformation) only when they need them

const HELP = `presage-agent ${AGENT_VERSION}: read BMC sensors, detect failing hardware early, tell the controller.

Usage:
  presage-agent run      [--config FILE]            the live agent (polls, publishes on NATS)
  presage-agent sensors  [--config FILE] [--json]   poll every configured source once and show what it sees
  presage-agent parse    --format F --host NAME [--ts MS] [--discrete] < capture.txt
                                                     turn one tool capture into readings (NDJSON on stdout);
                                                     --discrete adds discrete sensors (presence, redundancy)
                                                     with value null and their state
  presage-agent replay   [--input FILE|-] [--config FILE] [--lag MS]
                                                     run the detection pipeline over readings NDJSON, events out
                                                     in time order as they become final (--lag: how long, in
                                                     reading time, a silent host may hold output back;
                                                     default 600000)
  presage-agent --help | --version

Formats for parse (the exact command whose output it reads):
  ipmitool-sdr         ipmitool sdr
  ipmitool-sdr-elist   ipmitool sdr elist
  ipmitool-sensor      ipmitool sensor                      (with thresholds)
  freeipmi-sensors     ipmi-sensors --comma-separated-output --output-sensor-state --no-header-output
                       [--output-sensor-thresholds]
  ipmimonitoring       ipmimonitoring --comma-separated-output --no-header-output --output-sensor-state
                       [--output-event-bitmask]             (ipmi_exporter's flags)

Config: a JSON file (docs/agent.md); --config or PRESAGE_AGENT_CONFIG. Env overrides: PRESAGE_HOST,
NATS_URL, NATS_USER, NATS_PASS, NATS_CREDS, PRESAGE_POLL_INTERVAL_MS, PRESAGE_METRICS_LISTEN
(Prometheus /metrics, "HOST:PORT"). Logs are JSON on stderr (PRESAGE_LOG_LEVEL=debug for more).

Examples:
  ipmitool sensor | presage-agent parse --format ipmitool-sensor --host db1
  presage-agent sensors --config /etc/presage/agent.json
  presage-agent replay --input trace.ndjson > events.ndjson

Exit codes: 0 ok, 1 a source or input failed, 2 bad usage or config, 3 the NATS user may not use this
host's subjects (run exits within seconds, naming the subject and the user), 4 metrics.listen is in use.`;

class UsageError extends Error {}

/** the server `run` was told to use, for the one-line error when it cannot start */
let natsUrl: string | undefined;

function configFile(v: string | undefined): string | undefined {
  return v ?? process.env.PRESAGE_AGENT_CONFIG ?? undefined;
}

function loadConfigOrThrow(file: string | undefined): AgentConfig {
  return loadAgentConfig(configFile(file));
}

/** A sample line safe to print on a terminal: JSON-quoted, anything outside printable ASCII as `?`. */
const printable = (s: string) => JSON.stringify(s.replace(/[^ -~]/g, "?"));

async function cmdParse(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      format: { type: "string" },
      host: { type: "string" },
      ts: { type: "string" },
      discrete: { type: "boolean", default: false },
    },
  });
  if (!values.format) throw new UsageError(`parse needs --format (one of ${FORMATS.join(", ")})`);
  if (!isFormat(values.format))
    throw new UsageError(`unknown format "${values.format}": use one of ${FORMATS.join(", ")}`);
  if (!values.host) throw new UsageError("parse needs --host NAME (the host the readings belong to)");
  const hostErr = hostNameError(values.host);
  if (hostErr) throw new UsageError(hostErr);
  let ts = Date.now();
  if (values.ts !== undefined) {
    if (!/^\d+$/.test(values.ts)) throw new UsageError(`--ts must be milliseconds since the epoch, got "${values.ts}"`);
    ts = Number(values.ts);
  }
  const text = readFileSync(0, "utf8");
  const stats = newParseStats();
  const all = parsers[values.format](text, { host: values.host, ts }, stats);
  // discrete rows carry a state word, not a measurement: the live agent keeps them, a capture
  // conversion shows them only on request (as ipmi_exporter and the FASRC fixtures do)
  const readings = values.discrete ? all : all.filter((r) => r.state === undefined);
  process.stdout.write(readings.map((r) => `${JSON.stringify(r)}\n`).join(""));
  if (stats.skipped)
    process.stderr.write(
      `presage-agent: skipped ${stats.skipped} of ${stats.lines} lines that are not ${values.format} sensor lines (first: ${printable(stats.firstSkipped ?? "")})\n`,
    );
  if (all.length === 0) {
    process.stderr.write(
      `presage-agent: no ${values.format} sensor line in the input${text.trim() ? "; is it really the output of that command? (presage-agent --help lists them)" : " (it is empty)"}\n`,
    );
    return 1;
  }
  return 0;
}

async function cmdSensors(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string" }, json: { type: "boolean" } } });
  const config = loadConfigOrThrow(values.config);
  if (!config.sources.length)
    throw new ConfigError("the config lists no sources: add one under `sources` (docs/agent.md)");
  const [{ clockFor }, { buildSources }] = await Promise.all([import("../run.js"), import("../sources/index.js")]);
  const sources = buildSources(config, clockFor(config));
  const snaps: SourceSnapshot[] = [];
  for (const [i, s] of sources.entries()) {
    const started = performance.now();
    const timeoutMs = config.sources[i]?.timeoutMs ?? config.sourceTimeoutMs;
    try {
      const readings = await s.poll(AbortSignal.timeout(timeoutMs));
      snaps.push({ source: s.name, host: s.host, ok: true, durationMs: performance.now() - started, readings });
    } catch (e) {
      snaps.push({
        source: s.name,
        host: s.host,
        ok: false,
        error: (e as Error).message,
        durationMs: performance.now() - started,
        readings: [],
      });
    } finally {
      await s.close?.().catch(() => {});
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(snaps, null, 2)}\n` : renderSensors(snaps));
  return snaps.every((s) => s.ok) ? 0 : 1;
}

async function cmdReplay(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { input: { type: "string" }, config: { type: "string" }, lag: { type: "string" } },
  });
  const detect = configFile(values.config) ? loadConfigOrThrow(values.config).detect : {};
  if (values.lag !== undefined && !/^\d+$/.test(values.lag))
    throw new UsageError(`--lag must be milliseconds of reading time, got "${values.lag}"`);
  const lag = values.lag === undefined ? {} : { lagMs: Number(values.lag) };
  const input =
    !values.input || values.input === "-" ? process.stdin : createReadStream(values.input, { highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) return resolve();
    input.once("open", () => resolve());
    input.once("error", (e: Error) => reject(new UsageError(`cannot read ${values.input}: ${e.message}`)));
  });
  await opened;
  const { runReplay } = await import("../replay.js");
  const r = await runReplay({ input, output: process.stdout, errors: process.stderr, config: detect, ...lag });
  process.stderr.write(`replayed ${r.readings} readings: ${r.events} events, ${r.skipped} lines skipped\n`);
  return 0;
}

async function cmdRun(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string" } } });
  const config = loadConfigOrThrow(values.config);
  natsUrl = config.nats.url;
  const log = createLogger("presage-agent").child({ agent: config.host });
  if (!config.sources.length) log.warn("no sources configured: only heartbeats will be sent (docs/agent.md)");
  const { startAgent } = await import("../run.js");
  const { agentMetrics } = await import("../metrics/index.js");
  // bind the metrics address first: one in use fails before anything touches NATS; one registry serves every
  // agent a reload starts, so counters run on (a changed metrics.listen takes effect on restart)
  const metrics = agentMetrics();
  const server = config.metrics.listen ? await serveMetrics(metrics, config.metrics.listen) : null;
  if (server) log.info({ metrics: `http://${server.address}/metrics` }, `metrics on ${server.address}`);
  const nc = await connectNats(
    {
      ...config.nats,
      name: config.nats.name ?? `presage-agent-${config.host}`,
      // replies to this agent land under its own prefix, the only inbox deploy/nats lets it read
      inboxPrefix: config.nats.inboxPrefix ?? inboxes.agent(config.host),
    },
    log,
  );
  let current = { config, agent: await startAgent({ config, nc, log, metrics }) };
  // SIGHUP re-reads the config; a config that fails to load is reported and the running one kept
  let reloading = Promise.resolve();
  process.on("SIGHUP", () => {
    reloading = reloading.then(async () => {
      let next: AgentConfig;
      try {
        next = loadConfigOrThrow(values.config);
      } catch (e) {
        log.error({ err: (e as Error).message }, "config reload failed; keeping the running config");
        return;
      }
      if (JSON.stringify(next.nats) !== JSON.stringify(current.config.nats))
        log.warn("nats settings changed: they take effect on restart, not on reload");
      await current.agent.stop();
      current = { config: next, agent: await startAgent({ config: next, nc, log, metrics }) };
      log.info({ sources: next.sources.length }, "config reloaded");
    });
  });
  const refused = await new Promise<Error | null>((resolve) => {
    process.once("SIGINT", () => resolve(null));
    process.once("SIGTERM", () => resolve(null));
    // a later refusal (first readings, first event) ends the agent as one at start does
    const watch = (a: typeof current.agent): void => {
      a.fatal.then((e) => (current.agent === a ? resolve(e) : undefined));
    };
    watch(current.agent);
    process.on("SIGHUP", () => reloading.then(() => watch(current.agent)));
  });
  if (refused) throw refused;
  log.info("stopping");
  await reloading;
  await current.agent.stop();
  await server?.close();
  await nc.drain().catch(() => {});
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run: cmdRun,
  sensors: cmdSensors,
  parse: cmdParse,
  replay: cmdReplay,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(`${HELP}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === "--version" || cmd === "-V") {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[cmd];
  if (!run) throw new UsageError(`unknown command "${cmd}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    if (e instanceof UsageError) {
      process.stderr.write(`presage-agent: ${e.message}\n(see presage-agent --help)\n`);
      process.exitCode = DaemonExit.Usage;
      return;
    }
    const code = reportFatal("presage-agent", e, { natsUrl });
    if (code === DaemonExit.Usage) process.stderr.write("(see presage-agent --help)\n");
    // exit at once: a NATS connection left open (an agent refused its subjects) would keep it alive
    process.exit(code);
  },
);
