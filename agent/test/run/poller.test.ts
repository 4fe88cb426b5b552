import { ManualClock, type SensorEvent, silentLogger } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { agentMetrics } from "../../src/metrics/index.js";
import { nextDelayMs, SourcePoller } from "../../src/poller.js";
import { ScriptedSource, until } from "./helpers.js";

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(mode: ScriptedSource["mode"], timeoutMs = 100) {
  const clock = new ManualClock(1_700_000_000_000);
  const source = new ScriptedSource("h1", () => clock.now());
  source.mode = mode;
  const events: SensorEvent[] = [];
  const batches: number[] = [];
  const poller = new SourcePoller(source, {
    intervalMs: 10_000,
    timeoutMs,
    failureThreshold: 3,
    maxBackoffMs: 80_000,
    clock,
    log: silentLogger,
    metrics: agentMetrics(),
    onReadings: (_s, rs) => batches.push(rs.length),
    onEvent: (e) => events.push(e),
  });
  return { clock, source, events, batches, poller };
}

describe("poller - scheduling, timeouts, backoff and the sensor warning", () => {
  it("backoff doubles per failure up to the cap and resets on success", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((f) => nextDelayMs(f, 10_000, 80_000))).toEqual([
      10_000, 10_000, 20_000, 40_000, 80_000, 80_000, 80_000,
    ]);
  });

  it("polls every interval while the source answers", async () => {
    const { clock, source, batches, poller } = setup("ok");
    poller.start();
    for (let i = 1; i <= 5; i++) {
      await until(() => batches.length === i);
      await settle(); // let the poller go to sleep before time moves
      await clock.advance(10_000);
    }
    await until(() => batches.length === 6);
    expect(source.polls).toBe(6);
    expect(batches.every((n) => n === 3)).toBe(true);
    await poller.stop();
  });

  it("a hung BMC is cut off at the timeout, polls never overlap, and it backs off", async () => {
    const { clock, source, events, poller } = setup("hang", 150);
    poller.start();
    const t0 = Date.now();
    await until(() => poller.state.failures === 1);
    await settle();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(poller.state.lastError).toMatch(/did not answer within 150 ms/);
    // next tries come after 10 s, then 20 s, then 40 s of agent time
    await clock.advance(9_999);
    expect(source.polls).toBe(1);
    await clock.advance(1);
    await until(() => poller.state.failures === 2);
    await settle();
    await clock.advance(19_999);
    expect(source.polls).toBe(2);
    await clock.advance(1);
    await until(() => poller.state.failures === 3);
    expect(source.maxActive).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: "warning", kind: "failure", component: "sensor", host: "h1" });
    expect(events[0]?.reason).toMatch(/failed 3 polls in a row/);
    await poller.stop();
  });

  it("warns once (never critical) however long the BMC stays dead, and clears when it answers", async () => {
    const { clock, source, events, poller } = setup("fail");
    poller.start();
    while (poller.state.failures < 8) {
      await settle();
      await clock.advance(80_000);
    }
    expect(events.map((e) => e.severity)).toEqual(["warning"]);
    source.mode = "ok";
    await settle();
    await clock.advance(80_000);
    await until(() => events.length === 2, 3_000).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ events, state: poller.state, polls: source.polls })}`);
    });
    expect(events[1]).toMatchObject({ severity: "info", kind: "cleared", component: "sensor" });
    expect(poller.state.failures).toBe(0);
    await poller.stop();
  });
});

describe("poller - staggered start", () => {
  it("waits the initial delay of agent time before the first poll, and stop() ends a waiting poller", async () => {
    const { clock, source, poller } = setup("ok");
    poller.start(5_000);
    await settle();
    await clock.advance(4_999);
    expect(source.polls).toBe(0);
    await clock.advance(1);
    await until(() => source.polls === 1);
    await poller.stop();
    const idle = setup("ok");
    idle.poller.start(60_000);
    await settle();
    await idle.poller.stop(); // must not wait for the delay
    expect(idle.source.polls).toBe(0);
  });
});
