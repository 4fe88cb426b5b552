/**
 * Controller-owned time: an agent's clock never drives escalation. Events stamped far in the
 * future or the past are refused, counted and logged; an accepted event's alert opens at the
 * controller's own time, so an old stamp does not escalate on every pass.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { criticalFanEvent, poll, publishEvent } from "../../../test/e2e/harness.js";
import { skewRefusal } from "../../src/ingest.js";
import { backoffMs } from "../../src/sources/events.js";
import { type Env, smallFleet, startEnv } from "./env.js";

const skew = { maxAheadMs: 600_000, maxBehindMs: 7 * 86_400_000 };

describe("controller clock", () => {
  it("clock - the allowed skew: 10 min ahead and 7 days back by default, both ends refused with the reason", () => {
    const now = 1_000_000_000_000;
    expect(skewRefusal(now, now, skew)).toBeNull();
    expect(skewRefusal(now + 600_000, now, skew)).toBeNull();
    expect(skewRefusal(now + 600_001, now, skew)).toMatch(/ahead/);
    expect(skewRefusal(now - 7 * 86_400_000, now, skew)).toBeNull();
    expect(skewRefusal(1, now, skew)).toMatch(/behind/);
    expect(skewRefusal(9e15, now, skew)).toMatch(/ahead/);
  });

  it("clock - the consumer's back-off grows, is capped and jittered", () => {
    expect(backoffMs(1, 0)).toBe(125);
    expect(backoffMs(1, 0.999)).toBeLessThanOrEqual(250);
    expect(backoffMs(3, 0)).toBe(500);
    expect(backoffMs(30, 0.999)).toBeLessThanOrEqual(8_000);
    expect(backoffMs(30, 0)).toBe(4_000);
  });

  describe("against a real controller", () => {
    let env: Env;
    beforeAll(async () => {
      env = await startEnv(smallFleet(3, 1), { alerts: { escalationIntervalMs: 3_600_000 } });
      await poll("leader", () => env.ctl.isLeader());
    });
    afterAll(async () => env?.close());

    it("clock - events stamped 9e15 or 1 are refused and counted; a 6-day-old stamp opens its alert now and does not escalate", async () => {
      const { nc, ctl, clock } = env;
      await publishEvent(nc, criticalFanEvent("h0", 9e15));
      await publishEvent(nc, criticalFanEvent("h1", 1));
      await poll(
        "refused",
        async () => (await ctl.metrics.get("presage_events_refused_total", { reason: "clock_skew" })) >= 2,
      );
      expect((await ctl.events({})).alerts).toEqual([]);
      expect((await ctl.hosts({})).hosts.map((h) => h.state)).toEqual(["healthy", "healthy", "healthy"]);

      const before = clock.now();
      await publishEvent(nc, criticalFanEvent("h2", before - 6 * 86_400_000));
      const [alert] = await poll("alert", async () => {
        const a = (await ctl.events({ host: "h2" })).alerts;
        return a.length ? a : null;
      });
      expect(alert?.openedAt).toBeGreaterThanOrEqual(before);
      await ctl.reconcileNow();
      await ctl.reconcileNow();
      expect((await ctl.events({ host: "h2" })).alerts[0]?.escalations).toBe(0);
    });
  });
});
