/**
 * The event consumer an older controller made (filtered on presage.v1.events.*) is replaced by one
 * without a filter, from its ack floor: what was acked is not ingested again, what was not is.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, ensureStreams, STREAM_EVENTS, silentLogger, subjects } from "@presage/shared";
import { startNatsServer } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";
import { criticalFanEvent, poll, publishEvent } from "../../../test/e2e/harness.js";
import { controllerConfig } from "../../src/config.js";
import { createController, EVENTS_CONSUMER } from "../../src/controller.js";
import { SimEngine } from "../../src/migration/index.js";
import { smallFleet } from "./env.js";

describe("event consumer", () => {
  it("consumer - a filtered consumer from an older controller is made again without the filter, from its ack floor", async () => {
    const nats = await startNatsServer();
    const nc = await connectNats({ url: nats.url });
    const engine = new SimEngine({ ...smallFleet(3, 1), clock: { now: Date.now, sleep: async () => {} } });
    try {
      await ensureStreams(nc);
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.add(STREAM_EVENTS, {
        durable_name: EVENTS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjects.allEvents,
      });
      // the older controller consumed and acked two events for h1 before it stopped
      for (let i = 0; i < 2; i++) await publishEvent(nc, criticalFanEvent("h1", Date.now()));
      const old = await jetstream(nc).consumers.get(STREAM_EVENTS, EVENTS_CONSUMER);
      const batch = await old.fetch({ max_messages: 2, expires: 2_000 });
      for await (const m of batch) m.ack();
      await poll(
        "acked",
        async () => (await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER)).ack_floor.stream_seq === 2,
      );
      await publishEvent(nc, criticalFanEvent("h2", Date.now()));

      const config = controllerConfig({ nats: { url: nats.url }, leader: { enabled: false } });
      const ctl = await createController({ nc, engine, config, log: silentLogger, name: "ctl" });
      await ctl.start();
      try {
        await poll("h2's event ingested", async () => (await ctl.metrics.total("presage_events_total")) >= 1);
        const info = await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER);
        expect(info.config.filter_subject ?? "").toBe("");
        await publishEvent(nc, criticalFanEvent("h0", Date.now()));
        await poll("h0's event ingested", async () => (await ctl.metrics.total("presage_events_total")) >= 2);
        // the agents' alerts (not the controller's own, such as a capacity shortfall): h1's acked events never came back
        const agents = (await ctl.events({})).alerts.filter((a) => !a.id.startsWith("ctl-"));
        expect(agents.map((a) => a.host).sort()).toEqual(["h0", "h2"]);
        expect(await ctl.metrics.total("presage_events_total")).toBe(2);
      } finally {
        await ctl.stop();
      }
    } finally {
      await engine.close();
      await nc.close();
      await nats.stop();
    }
  }, 60_000);
});
