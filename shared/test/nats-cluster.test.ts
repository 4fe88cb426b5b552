import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsCluster } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";

describe("nats cluster helper", () => {
  it("starts three routed JetStream nodes, keeps an R3 stream through kill -9 of its leader, and stops them", async () => {
    const cluster = await startNatsCluster();
    try {
      expect(cluster.nodes).toHaveLength(3);
      expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
      expect(cluster.nodes.map((n) => n.port)).not.toContain(4222);
      expect(cluster.url.split(",")).toEqual(cluster.urls);
      const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      expect(nc.info?.cluster).toBe("presage");
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const si = await jsm.streams.add({ name: "T", subjects: ["t.>"], num_replicas: 3 });
      expect(si.cluster?.replicas).toHaveLength(2);
      for (let i = 0; i < 10; i++) await js.publish(`t.${i}`, String(i));

      // kill -9 the stream's leader: the other two elect a new one and keep every message
      const leader = si.cluster?.leader ?? "";
      const victim = cluster.nodes.findIndex((n) => n.name === leader);
      expect(victim).toBeGreaterThanOrEqual(0);
      await cluster.kill(victim);
      expect(cluster.nodes[victim].running).toBe(false);
      let after = await retry(() => js.publish("t.after", "x"));
      expect(after.seq).toBe(11);
      const info = await retry(() => jsm.streams.info("T"));
      expect(info.cluster?.leader).not.toBe(leader);

      // back on the same ports and store: it catches up and is a current replica again
      await cluster.start(victim);
      expect(cluster.nodes[victim].running).toBe(true);
      after = await retry(() => js.publish("t.back", "y"));
      expect(after.seq).toBe(12);
      const back = await retry(async () => {
        const r = await jsm.streams.info("T");
        const peer = r.cluster?.replicas?.find((p) => p.name === leader);
        if (r.cluster?.leader !== leader && !peer?.current) throw new Error("replica not current yet");
        return r;
      });
      expect(back.state.messages).toBe(12);
      await nc.close();
    } finally {
      await cluster.stop();
    }
    for (const n of cluster.nodes) expect(n.proc.exitCode !== null || n.proc.signalCode !== null).toBe(true);
  });

  it("refuses a size that is not a positive integer", async () => {
    await expect(startNatsCluster({ size: 0 })).rejects.toThrow(/positive integer/);
  });
});

/** JetStream calls fail for a moment while the cluster elects a new leader. */
async function retry<T>(f: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
