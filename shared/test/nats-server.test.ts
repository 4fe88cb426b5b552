import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";

describe("nats-server helper", () => {
  it("starts a JetStream server on a random loopback port, restarts it on the same port, and stops it", async () => {
    const ns = await startNatsServer();
    try {
      expect(ns.port).not.toBe(4222);
      const nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      expect(nc.info?.jetstream).toBe(true);
      const reconnected = (async () => {
        for await (const s of nc.status()) if (s.type === "reconnect") return true;
        return false;
      })();
      await ns.restart();
      expect(await reconnected).toBe(true);
      await nc.flush();
      expect(nc.isClosed()).toBe(false);
      await nc.close();
    } finally {
      await ns.stop();
    }
    expect(ns.proc.exitCode !== null || ns.proc.signalCode !== null).toBe(true);
  });
});
