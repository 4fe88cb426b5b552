/**
 * Durable before ack, against a real nats-server: while the alerts bucket refuses every write, the
 * controller ingests events in memory but acks none of them (JetStream still holds them as pending);
 * once writes land again, every event that is acked has its alert in KV.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type SensorEvent, STREAM_EVENTS, silentLogger } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";
import { poll, publishEvent } from "../../../test/e2e/harness.js";
import { controllerConfig } from "../../src/config.js";
import { createController, EVENTS_CONSUMER } from "../../src/controller.js";
import { SimEngine } from "../../src/migration/index.js";
import { KV_ALERTS } from "../../src/store/index.js";
import { smallFleet } from "./env.js";

const env = natsEnv();

const warning = (host: string, i: number): SensorEvent => ({
  id: `durable-${host}-${i}`,
  ts: Date.now(),
  host,
  severity: "warning",
  kind: "degradation",
  component: "fan",
  sensor: `FAN${i}`,
  reason: `FAN${i} drifting`,
  predictedFailureAt: null,
  confidence: 0.5,
});

describe("ingest durability", () => {
  it("ingest - never acks an event before its alert is stored in KV", async () => {
    const engine = new SimEngine({ ...smallFleet(3, 1), clock: { now: Date.now, sleep: async () => {} } });
    const config = controllerConfig({ nats: { url: env.url }, leader: { enabled: false } });
    const ctl = await createController({ nc: env.nc, engine, config, log: silentLogger, name: "ctl" });
    const jsm = await jetstreamManager(env.nc);
    const alertsStream = `KV_${KV_ALERTS}`;
    await ctl.start();
    const cfg = (await jsm.streams.info(alertsStream)).config;
    const refuseWrites = (refuse: boolean) =>
      jsm.streams.update(alertsStream, { ...cfg, max_msg_size: refuse ? 1 : -1 });
    try {
      // the bucket now refuses every write (each one is larger than the stream allows)
      await refuseWrites(true);
      const events = [0, 1, 2, 3, 4].map((i) => warning(`h${i % 3}`, i));
      for (const ev of events) await publishEvent(env.nc, ev);

      await poll(
        "events ingested in memory",
        async () => (await ctl.metrics.total("presage_events_total")) >= events.length,
      );
      await poll(
        "alert writes refused and retried",
        async () => (await ctl.metrics.total("presage_kv_retries_total")) >= 2,
      );
      const held = await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER);
      expect(held.ack_floor.stream_seq).toBe(0);
      expect(held.num_ack_pending).toBe(events.length);
      const kv = await new Kvm(env.nc).open(KV_ALERTS);
      for (const ev of events) expect(await kv.get(ev.id)).toBeNull();

      // writes land again: the events are acked, and only with their alerts stored
      await refuseWrites(false);
      await poll(
        "events acked",
        async () => (await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER)).ack_floor.stream_seq === events.length,
      );
      for (const ev of events) expect((await kv.get(ev.id))?.json<{ host: string }>().host).toBe(ev.host);
    } finally {
      await refuseWrites(false); // else stopping waits for writes that cannot land
      await ctl.stop();
      await engine.close();
    }
  }, 60_000);
});
