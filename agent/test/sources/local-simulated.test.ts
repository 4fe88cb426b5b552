import { ManualClock, readingCheck, validate } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { AGENT_DEFAULTS, type AgentConfig } from "../../src/config.js";
import { buildSources } from "../../src/sources/index.js";
import { localSource } from "../../src/sources/local.js";

const HOUR = 3_600_000;

describe("local source - the machine's own sensors", () => {
  it("reports CPU utilisation and temperature, null (never NaN or 0) where the OS has none", async () => {
    const rs = await localSource({ host: "me", now: () => 1_700_000_000_000 }).poll(AbortSignal.timeout(20_000));
    const util = rs.find((r) => r.sensor === "CPU Utilization");
    expect(util).toMatchObject({ type: "utilization", unit: "%" });
    expect(util?.value).toBeGreaterThanOrEqual(0);
    expect(util?.value).toBeLessThanOrEqual(100);
    const temp = rs.find((r) => r.sensor === "CPU Temp");
    expect(temp?.type).toBe("temperature");
    expect(temp?.value === null || (temp.value > 0 && temp.value < 150)).toBe(true);
    for (const r of rs) expect(validate(readingCheck, r).ok).toBe(true);
  });
});

describe("simulated source - a HostModel behind the SensorSource interface", () => {
  it("samples at the agent clock's time and applies configured faults relative to the start", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const config: AgentConfig = {
      ...structuredClone(AGENT_DEFAULTS),
      host: "sim-9",
      sources: [
        {
          kind: "simulated",
          seed: 11,
          vendor: "supermicro",
          faults: [{ kind: "fan-wear", fan: 2, afterMs: HOUR, durationMs: 6 * HOUR }],
        },
        { kind: "simulated", seed: 12, host: "sim-10" },
      ],
    };
    const [sick, other] = buildSources(config, clock);
    expect([sick?.host, other?.host]).toEqual(["sim-9", "sim-10"]);
    const fans = async () => {
      const rs = (await sick?.poll(AbortSignal.timeout(1_000))) ?? [];
      expect(rs.every((r) => r.ts === clock.now() && r.host === "sim-9")).toBe(true);
      const v = (s: string) => rs.find((r) => r.sensor === s)?.value ?? Number.NaN;
      return { fan1: v("FAN1"), fan3: v("FAN3") };
    };
    const util = (await other?.poll(AbortSignal.timeout(1_000)))?.find((r) => r.type === "utilization");
    expect(util).toMatchObject({ sensor: "CPU Utilization", unit: "%", host: "sim-10" });
    expect(util?.value).toBeGreaterThanOrEqual(0);
    expect(util?.value).toBeLessThanOrEqual(100);
    const before = await fans();
    expect(before.fan3 / before.fan1).toBeGreaterThan(0.8);
    await clock.advance(7 * HOUR);
    const after = await fans();
    expect(after.fan3 / after.fan1).toBeLessThan(0.5); // the worn fan (index 2 = FAN3) slowed, its siblings did not
  });
});
