/**
 * The live agent: poll every source, publish readings (core NATS), feed the detector, publish its
 * events (JetStream, deduplicated, retried through outages) and a heartbeat per host. Runs in
 * process (tests, demo) or from `presage-agent run`. All scheduling goes through the injected Clock.
 */
import {
  type Clock,
  checkOf,
  createLogger,
  ensureStreams,
  type Heartbeat,
  heartbeatCheck,
  type Logger,
  type Metrics,
  type NatsConnection,
  type Reading,
  readingCheck,
  resolveReplicas,
  type SensorEvent,
  type Static,
  type Subscription,
  scaledClock,
  subjects,
  subscribeJson,
  systemClock,
  Type,
  validate,
} from "@presage/shared";
import type { AgentConfig } from "./config.js";
import type { Detector } from "./detect/detector.js";
import { createDetector } from "./detect/index.js";
import { agentMetrics, registerDetectorMetrics, SensorBook, type SourceView } from "./metrics/index.js";
import { EventOutbox } from "./outbox.js";
import { guardPermissions, type PermissionError } from "./permission-guard.js";
import { SourcePoller } from "./poller.js";
import { buildSources } from "./sources/index.js";
import type { SensorSource } from "./sources/source.js";
import { AGENT_VERSION } from "./version.js";

/** Requests the agent answers on presage.v1.commands.<host>. */
export const AgentCommandSchema = Type.Object({ command: Type.Enum(["poll-now", "status"]) });
export type AgentCommand = Static<typeof AgentCommandSchema>;
export const agentCommandCheck = checkOf(AgentCommandSchema);

export type StartAgentOptions = {
  config: AgentConfig;
  nc: NatsConnection;
  clock?: Clock;
  log?: Logger;
  /** default: built from config.sources */
  sources?: SensorSource[];
  /** default: createDetector(config.detect) */
  detector?: Detector;
  /** default: a new registry; the daemon passes one that outlives config reloads (its /metrics serves it) */
  metrics?: Metrics;
};

export type RunningAgent = {
  stop(): Promise<void>;
  metrics: Metrics;
  /** settles when the server refuses one of the agent's own subjects (the process should exit) */
  fatal: Promise<PermissionError>;
};

/** The clock a config asks for: real time, or simulated time at `speed` from `startMs`. */
export function clockFor(config: AgentConfig): Clock {
  const { speed, startMs, realStartMs } = config.clock;
  if (speed === 1 && startMs === null) return systemClock;
  return scaledClock(speed, startMs ?? Date.now(), realStartMs ?? Date.now());
}

/** CPU utilisation for the heartbeat: a CPU-named percentage if there is one, else any percentage. */
function cpuUtil(rs: Reading[]): number | null {
  const pct = rs.filter((r) => r.type === "utilization" && r.unit === "%" && r.value !== null);
  const r = pct.find((x) => /cpu/i.test(x.sensor)) ?? pct[0];
  return r?.value == null ? null : Math.min(100, Math.max(0, r.value));
}

function natsUser(config: AgentConfig): string {
  const n = config.nats;
  return n.user ? `"${n.user}"` : n.creds ? `of ${n.creds}` : n.token ? "(token)" : "(anonymous)";
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const { config, nc } = opts;
  const clock = opts.clock ?? clockFor(config);
  const log = opts.log ?? createLogger("presage-agent");
  const metrics = opts.metrics ?? agentMetrics();

  // A locked-down agent user (deploy/nats) may not create streams: the controller does, and the
  // outbox keeps retrying events until the stream exists.
  await ensureStreams(nc, {}, resolveReplicas(nc, config.nats.replicas)).catch((e) =>
    log.warn({ err: String(e) }, "could not create the JetStream streams; relying on the controller to create them"),
  );
  const detector = opts.detector ?? createDetector(config.detect);
  const sources = opts.sources ?? buildSources(config, clock);
  const timeouts = opts.sources ? [] : config.sources.map((s) => s.timeoutMs ?? config.sourceTimeoutMs);
  const hosts = [...new Set(sources.length ? sources.map((s) => s.host) : [config.host])];
  const outbox = new EventOutbox(nc, { log, metrics });
  const cpu = new Map<string, number | null>();
  const book = new SensorBook();

  const emit = (e: SensorEvent) => {
    log.info({ event: e.id, host: e.host, severity: e.severity, kind: e.kind, component: e.component }, e.reason);
    outbox.push(e);
  };

  const onReadings = (source: SensorSource, readings: Reading[]) => {
    const good: Reading[] = [];
    for (const r of readings) {
      const v = validate<Reading>(readingCheck, r);
      if (v.ok) good.push(r);
      else {
        metrics.inc("presage_agent_invalid_readings_total", { source: source.name });
        log.warn({ source: source.name, error: v.error }, "dropped an invalid reading from a source");
      }
    }
    for (let i = 0; i < good.length; i += 10_000) {
      try {
        nc.publish(
          subjects.readings(source.host),
          JSON.stringify({ host: source.host, readings: good.slice(i, i + 10_000) }),
        );
      } catch (e) {
        metrics.inc("presage_agent_readings_publish_errors_total");
        log.warn({ err: String(e) }, "readings publish failed (NATS away); detection goes on");
      }
    }
    metrics.inc("presage_agent_readings_total", { source: source.name }, good.length);
    book.record(source.host, good);
    const util = cpuUtil(good);
    if (util !== null) cpu.set(source.host, util);
    for (const r of good) {
      try {
        for (const e of detector.ingest(r)) emit(e);
      } catch (e) {
        metrics.inc("presage_agent_detector_errors_total");
        log.error({ err: e, sensor: r.sensor }, "detector failed on a reading; skipped");
      }
    }
  };

  const pollers = sources.map(
    (source, i) =>
      new SourcePoller(source, {
        intervalMs: config.pollIntervalMs,
        timeoutMs: timeouts[i] ?? config.sourceTimeoutMs,
        failureThreshold: config.failureThreshold,
        maxBackoffMs: config.maxBackoffMs,
        clock,
        log: log.child({ source: source.name, host: source.host }),
        metrics,
        onReadings,
        onEvent: emit,
      }),
  );

  const views = (): SourceView[] => pollers.map((p) => ({ source: p.source.name, host: p.source.host, ...p.state }));
  for (const p of pollers) {
    metrics.zero("presage_agent_poll_duration_seconds", { source: p.source.name });
    for (const result of ["ok", "error"]) metrics.zero("presage_agent_polls_total", { source: p.source.name, result });
  }
  book.register(metrics, views);
  registerDetectorMetrics(metrics, { detector, hosts, sources: views, now: () => clock.now() });

  const heartbeat = (host: string) => {
    const h = detector.health(host);
    const failures = pollers.filter((p) => p.source.host === host).map((p) => p.state.failures);
    const hb: Heartbeat = {
      host,
      ts: clock.now(),
      status: h.status,
      conditions: h.conditions,
      cpuUtilPct: cpu.get(host) ?? null,
      sourceFailures: failures.length ? Math.max(...failures) : 0,
      agentVersion: AGENT_VERSION,
    };
    if (!validate(heartbeatCheck, hb).ok) return log.error({ hb }, "built an invalid heartbeat; not sent");
    try {
      nc.publish(subjects.health(host), JSON.stringify(hb));
    } catch (e) {
      log.warn({ err: String(e) }, "heartbeat publish failed (NATS away)");
    }
  };

  const guard = guardPermissions(nc, hosts, natsUser(config));
  const stopHb = new AbortController();
  const hbLoop = (async () => {
    while (!stopHb.signal.aborted) {
      for (const h of hosts) heartbeat(h);
      await clock.sleep(config.heartbeatIntervalMs, stopHb.signal).catch(() => {});
    }
  })();

  const subs: Subscription[] = hosts.map((host) =>
    subscribeJson<AgentCommand>(
      nc,
      subjects.commands(host),
      agentCommandCheck,
      (cmd, msg) => {
        const mine = pollers.filter((p) => p.source.host === host);
        if (cmd.command === "poll-now") for (const p of mine) p.wake();
        const status = mine.map((p) => ({ source: p.source.name, ...p.state }));
        if (msg.reply) msg.respond(JSON.stringify({ ok: true, host, sources: status, pendingEvents: outbox.pending }));
      },
      { log, metrics },
    ),
  );

  // spread first polls over one interval so a rack agent does not start 40 BMC sessions at once
  const stop = async () => {
    guard.stop();
    for (const s of subs) s.unsubscribe();
    stopHb.abort();
    await Promise.all(pollers.map((p) => p.stop()));
    await hbLoop;
    await outbox.close();
    await Promise.all(sources.map((s) => s.close?.().catch(() => {})));
  };
  // the first heartbeats and the command subscriptions are on the wire: a refusal is known after the flush
  await nc.flush().catch(() => {});
  const refused = await guard.violation();
  if (refused) {
    await stop();
    throw refused;
  }
  pollers.forEach((p, i) => {
    p.start(Math.floor((i * config.pollIntervalMs) / pollers.length));
  });
  log.info({ hosts, sources: sources.map((s) => s.name), pollIntervalMs: config.pollIntervalMs }, "agent started");

  return {
    metrics,
    fatal: guard.fatal,
    async stop() {
      await stop();
      log.info("agent stopped");
    },
  };
}
