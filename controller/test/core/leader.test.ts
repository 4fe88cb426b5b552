/** Leader election over the KV lease, against a real nats-server. */
import { silentLogger } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";
import { poll } from "../../../test/e2e/harness.js";
import { LeaderElection } from "../../src/leader.js";
import { openControlBucket } from "../../src/store/index.js";

describe("leader", () => {
  const env = natsEnv();

  it("leader - one of two wins; a stop hands over at once; an expired lease is taken and the old leader steps down", async () => {
    const kv = await openControlBucket(env.nc);
    const changes: string[] = [];
    // b's clock can be pushed forward to make a's lease look expired while a still runs
    let skewB = 0;
    const a = new LeaderElection(kv, {
      name: "a",
      ttlMs: 1_500,
      log: silentLogger,
      onChange: (l) => changes.push(`a:${l}`),
    });
    const b = new LeaderElection(kv, {
      name: "b",
      ttlMs: 1_500,
      log: silentLogger,
      onChange: (l) => changes.push(`b:${l}`),
      now: () => Date.now() + skewB,
    });
    try {
      await a.start();
      await b.start();
      expect(a.leader).toBe(true);
      expect(b.leader).toBe(false);
      await new Promise((r) => setTimeout(r, 1_200)); // a renews; b keeps waiting
      expect(b.leader).toBe(false);

      // b sees a's lease as expired, takes it; a's next renewal fails its compare-and-set: it steps down
      skewB = 60_000;
      await poll("b leads", () => b.leader, 10_000, 20);
      await poll("a stepped down", () => !a.leader, 10_000, 20);
      expect(changes).toEqual(["a:true", "b:true", "a:false"]);

      // a graceful stop releases the lease so the other takes over without waiting for the TTL
      skewB = 0;
      await b.stop();
      const t = Date.now();
      await poll("a leads again", () => a.leader, 10_000, 20);
      expect(Date.now() - t).toBeLessThan(1_500);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
