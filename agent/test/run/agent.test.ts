import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  type Heartbeat,
  type NatsConnection,
  type ReadingBatch,
  type SensorEvent,
  STREAM_EVENTS,
  scaledClock,
  silentLogger,
  subjects,
} from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_DEFAULTS, type AgentConfig } from "../../src/config.js";
import { startAgent } from "../../src/run.js";
import { ScriptedSource, ThresholdDetector, until } from "./helpers.js";

const config = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  ...structuredClone(AGENT_DEFAULTS),
  host: "h1",
  pollIntervalMs: 1_000,
  heartbeatIntervalMs: 1_000,
  ...over,
});

async function streamEvents(nc: NatsConnection): Promise<SensorEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAM_EVENTS);
  const out: SensorEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAM_EVENTS, { seq }).catch(() => null);
    if (m) out.push(m.json<SensorEvent>());
  }
  return out;
}

describe("live agent - readings, events, heartbeats over a real nats-server", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterAll(async () => {
    await nc?.close().catch(() => {});
    await ns?.stop();
  });

  it("publishes readings batches, feeds the detector, stores its events once, sends heartbeats", async () => {
    // 100x time: a 1 s poll interval is 10 ms of wall time
    const clock = scaledClock(100);
    const source = new ScriptedSource("h1", () => clock.now());
    const detector = new ThresholdDetector();
    const batches: ReadingBatch[] = [];
    const beats: Heartbeat[] = [];
    const subR = nc.subscribe(subjects.readings("h1"), { callback: (_e, m) => batches.push(m.json()) });
    const subH = nc.subscribe(subjects.health("h1"), { callback: (_e, m) => beats.push(m.json()) });
    const agent = await startAgent({ config: config(), nc, clock, log: silentLogger, sources: [source], detector });
    try {
      await until(() => batches.length >= 3 && beats.length >= 2);
      expect(batches[0]?.readings.map((r) => [r.sensor, r.value])).toEqual([
        ["FAN1", 5_000],
        ["CPU Utilization", 37],
        ["FAN2", null],
      ]);
      expect(beats.at(-1)).toMatchObject({ host: "h1", status: "ok", cpuUtilPct: 37, sourceFailures: 0 });
      source.fanRpm = 600;
      await until(() => beats.some((b) => b.status === "critical"));
      const events = await until(async () => {
        const es = await streamEvents(nc);
        return es.length ? es : null;
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ host: "h1", severity: "critical", component: "fan", sensor: "FAN1" });
      expect(beats.find((b) => b.status === "critical")?.conditions).toEqual(["FAN1 failed"]);
      expect(detector.seen.length).toBeGreaterThanOrEqual(9);
      expect(await agent.metrics.total("presage_agent_events_published_total")).toBe(1);
    } finally {
      await agent.stop();
      subR.unsubscribe();
      subH.unsubscribe();
    }
  });

  it("keeps events raised during a NATS outage and publishes them after it, without crashing", async () => {
    const clock = scaledClock(100);
    const source = new ScriptedSource("h2", () => clock.now());
    const detector = new ThresholdDetector();
    const agent = await startAgent({
      config: config({ host: "h2" }),
      nc,
      clock,
      log: silentLogger,
      sources: [source],
      detector,
    });
    try {
      await until(async () => (await agent.metrics.total("presage_agent_readings_total")) >= 3);
      const killed = new Promise((r) => ns.proc.once("exit", r));
      ns.proc.kill("SIGKILL");
      await killed;
      source.fanRpm = 500; // the fan fails while NATS is down
      await until(async () => (await agent.metrics.total("presage_agent_event_publish_retries_total")) >= 1);
      expect(await agent.metrics.get("presage_agent_events_pending")).toBe(1);
      await ns.restart();
      const stored = await until(async () => {
        const es = (await streamEvents(nc).catch(() => [])).filter((e) => e.host === "h2");
        return es.length ? es : null;
      }, 30_000);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ severity: "critical", sensor: "FAN1" });
      expect(await agent.metrics.get("presage_agent_events_pending")).toBe(0);
      // polling went on through the outage
      const before = source.polls;
      await until(() => source.polls > before + 2);
    } finally {
      await agent.stop();
    }
  });

  it("drops malformed commands (logged and counted) and keeps answering valid ones", async () => {
    const clock = scaledClock(100);
    const source = new ScriptedSource("h3", () => clock.now());
    const agent = await startAgent({
      config: config({ host: "h3" }),
      nc,
      clock,
      log: silentLogger,
      sources: [source],
      detector: new ThresholdDetector(),
    });
    try {
      for (const bad of ["not json", "[1,2]", '{"command":"format-disk"}', "{}", "null", '{"command":42}'])
        nc.publish(subjects.commands("h3"), bad);
      await until(async () => (await agent.metrics.total("presage_invalid_messages_total")) >= 6);
      const reply = await nc.request(subjects.commands("h3"), JSON.stringify({ command: "status" }), {
        timeout: 5_000,
      });
      expect(reply.json()).toMatchObject({ ok: true, host: "h3", sources: [{ source: "scripted:h3", failures: 0 }] });
      expect(source.polls).toBeGreaterThan(0);
    } finally {
      await agent.stop();
    }
  });
});
