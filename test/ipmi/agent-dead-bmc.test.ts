/** The live agent polling real ipmi_sim BMCs over lanplus: a simulator killed mid-run must give timeouts, backoff and one sensor warning. */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_DEFAULTS, type AgentConfig, startAgent } from "@presage/agent/internal";
import { type Heartbeat, type ReadingBatch, type SensorEvent, silentLogger, subjects } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAN, type SimBmc, startSimBmc, TEMP, UNIT } from "./ipmi-sim.mjs";

const until = async <T>(f: () => T | undefined | null | false | Promise<T | null>, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** ipmitool / ipmi-sensors processes this test process started that are still alive. */
function strayTools(): string[] {
  try {
    const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
    return out.split("\n").filter((l) => /ipmitool|ipmi-sensors/.test(l));
  } catch {
    return [];
  }
}

describe("live agent - real BMC simulators over lanplus", () => {
  const env = natsEnv();
  let good: SimBmc;
  let doomed: SimBmc;
  beforeAll(async () => {
    const sensors = [
      { num: 1, name: "FAN1", type: FAN, unit: UNIT.RPM, m: 50, rexp: 0, raw: 96, th: { lnr: 8, lc: 14, lnc: 20 } },
      { num: 2, name: "CPU1 Temp", type: TEMP, unit: UNIT.C, m: 1, rexp: 0, raw: 45, th: { unc: 80, uc: 90, unr: 95 } },
    ];
    [good, doomed] = await Promise.all([startSimBmc(sensors, "bmc-good"), startSimBmc(sensors, "bmc-doomed")]);
  });
  afterAll(async () => {
    await Promise.all([good?.stop(), doomed?.stop()]);
  });

  it("reads two BMCs as two hosts; a dead one times out, backs off and raises one sensor warning", async () => {
    const pw = join(good.dir, "pw");
    writeFileSync(pw, "password", { mode: 0o600 });
    const src = (host: string, bmc: SimBmc, tool: "ipmitool" | "freeipmi") =>
      tool === "ipmitool"
        ? {
            kind: "ipmitool" as const,
            host,
            interface: "lanplus" as const,
            address: "127.0.0.1",
            port: bmc.port,
            user: "admin",
            passwordFile: pw,
          }
        : {
            kind: "freeipmi" as const,
            host,
            address: "127.0.0.1",
            port: bmc.port,
            user: "admin",
            passwordFile: pw,
            sdrCacheDir: join(bmc.dir, "sdr"),
          };
    const config: AgentConfig = {
      ...structuredClone(AGENT_DEFAULTS),
      host: "rack-agent",
      pollIntervalMs: 500,
      heartbeatIntervalMs: 500,
      sourceTimeoutMs: 1_500,
      failureThreshold: 3,
      maxBackoffMs: 4_000,
      sources: [src("node-a", good, "ipmitool"), src("node-b", doomed, "freeipmi")],
    };
    const batches = new Map<string, ReadingBatch[]>();
    const sub = env.nc.subscribe(subjects.allReadings, {
      callback: (_e, m) => {
        const b = m.json<ReadingBatch>();
        batches.set(b.host, [...(batches.get(b.host) ?? []), b]);
      },
    });
    const beats: Heartbeat[] = [];
    const subH = env.nc.subscribe(subjects.health("node-b"), { callback: (_e, m) => beats.push(m.json()) });
    // events go through JetStream; a core subscriber sees what the stream stores
    const events: SensorEvent[] = [];
    const subE = env.nc.subscribe(subjects.allEvents, { callback: (_e, m) => events.push(m.json()) });
    const agent = await startAgent({ config, nc: env.nc, log: silentLogger });
    try {
      await until(() => (batches.get("node-a")?.length ?? 0) >= 2 && (batches.get("node-b")?.length ?? 0) >= 2);
      const fan = (h: string) =>
        batches
          .get(h)
          ?.at(-1)
          ?.readings.find((r) => r.sensor === "FAN1")?.value;
      expect(fan("node-a")).toBe(4_800);
      expect(fan("node-b")).toBe(4_800);

      good.setRaw(1, 0x10);
      await until(() => fan("node-a") === 800);

      doomed.kill();
      const killedAt = Date.now();
      const warning = await until(async () => {
        const jsmMsgs = await agent.metrics.get("presage_agent_events_published_total", { severity: "warning" });
        return jsmMsgs >= 1 ? jsmMsgs : null;
      }, 60_000);
      expect(warning).toBe(1);
      const ev = await until(() => events.find((e) => e.host === "node-b"));
      expect(ev).toMatchObject({ host: "node-b", severity: "warning", component: "sensor", kind: "failure" });
      expect(ev?.reason).toMatch(/failed 3 polls in a row/);
      // three failures with backoff 500 ms, 1 s between them: more than 1.5 s, each cut at the 1.5 s timeout at worst
      expect(Date.now() - killedAt).toBeGreaterThan(1_400);
      await until(() => beats.some((b) => (b.sourceFailures ?? 0) >= 3)); // heartbeats tell the controller too
      const polls = await agent.metrics.get("presage_agent_polls_total", {
        source: `freeipmi-ipmi-sensors:127.0.0.1:${doomed.port}`,
        result: "error",
      });
      await new Promise((r) => setTimeout(r, 3_000));
      const pollsLater = await agent.metrics.get("presage_agent_polls_total", {
        source: `freeipmi-ipmi-sensors:127.0.0.1:${doomed.port}`,
        result: "error",
      });
      expect(pollsLater - polls).toBeLessThanOrEqual(2); // backed off: not one try per 500 ms
      // the healthy BMC kept being read all along, and no critical event was raised for the dead one
      const aBefore = batches.get("node-a")?.length ?? 0;
      await until(() => (batches.get("node-a")?.length ?? 0) > aBefore + 1);
      expect(await agent.metrics.get("presage_agent_events_published_total", { severity: "critical" })).toBe(0);
    } finally {
      await agent.stop();
      sub.unsubscribe();
      subH.unsubscribe();
      subE.unsubscribe();
    }
    expect(events.map((e) => [e.host, e.severity, e.component])).toEqual([["node-b", "warning", "sensor"]]);
    expect(strayTools()).toEqual([]);
  });
});
