import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SensorSource } from "@presage/agent/internal";
import { freeipmiSource, ipmitoolSource } from "@presage/agent/internal";
import type { Reading } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAN, type SimBmc, startSimBmc, TEMP, UNIT, VOLT } from "./ipmi-sim.mjs";

const SENSORS = [
  { num: 1, name: "FAN1", type: FAN, unit: UNIT.RPM, m: 50, rexp: 0, raw: 96, th: { lnr: 8, lc: 14, lnc: 20 } },
  { num: 2, name: "CPU1 Temp", type: TEMP, unit: UNIT.C, m: 1, rexp: 0, raw: 45, th: { unc: 80, uc: 90, unr: 95 } },
  { num: 3, name: "Inlet Temp", type: TEMP, unit: UNIT.C, m: 1, rexp: 0, raw: 22, th: { unc: 40, uc: 45, unr: 50 } },
  {
    num: 4,
    name: "12V",
    type: VOLT,
    unit: UNIT.V,
    m: 6,
    rexp: -2,
    raw: 200,
    th: { lnr: 170, lc: 180, lnc: 190, unc: 210, uc: 220, unr: 230 },
  },
];

const by = (rs: Reading[], s: string) => rs.find((r) => r.sensor === s);
const poll = (s: SensorSource) => s.poll(new AbortController().signal);

describe("ipmi sources - against a real ipmi_sim BMC", () => {
  let bmc: SimBmc;
  let sources: Record<string, SensorSource>;
  beforeAll(async () => {
    bmc = await startSimBmc(SENSORS, "bmc-src");
    const pw = join(bmc.dir, "pw");
    writeFileSync(pw, `${bmc.password}\n`, { mode: 0o600 });
    const remote = { address: "127.0.0.1", port: bmc.port, user: bmc.user, passwordFile: pw };
    const o = { host: "h1", timeoutMs: 10_000, now: Date.now };
    sources = {
      "ipmitool lanplus sensor": ipmitoolSource({ kind: "ipmitool", interface: "lanplus", ...remote }, o),
      "ipmitool lanplus sdr elist": ipmitoolSource(
        { kind: "ipmitool", interface: "lanplus", command: "sdr-elist", ...remote },
        o,
      ),
      "freeipmi ipmi-sensors": freeipmiSource({ kind: "freeipmi", ...remote, sdrCacheDir: join(bmc.dir, "sdr") }, o),
      "freeipmi ipmimonitoring": freeipmiSource(
        { kind: "freeipmi", tool: "ipmimonitoring", ...remote, sdrCacheDir: join(bmc.dir, "sdr2") },
        o,
      ),
    };
  });
  afterAll(async () => {
    await bmc?.stop();
  });

  it.each([
    "ipmitool lanplus sensor",
    "ipmitool lanplus sdr elist",
    "freeipmi ipmi-sensors",
    "freeipmi ipmimonitoring",
  ])("%s reads every sensor with the right type, unit and value", async (name) => {
    const rs = await poll(sources[name] as SensorSource);
    expect(by(rs, "FAN1")).toMatchObject({ host: "h1", type: "fan", unit: "RPM", value: 4_800 });
    expect(by(rs, "CPU1 Temp")).toMatchObject({ type: "temperature", unit: "C", value: 45 });
    expect(by(rs, "12V")).toMatchObject({ type: "voltage", unit: "V", value: 12 });
  });

  it("thresholds come through ipmitool sensor and ipmi-sensors", async () => {
    for (const name of ["ipmitool lanplus sensor", "freeipmi ipmi-sensors"]) {
      const rs = await poll(sources[name] as SensorSource);
      expect(by(rs, "FAN1")?.thresholds).toMatchObject({ lnr: 400, lcr: 700, lnc: 1_000 });
      expect(by(rs, "CPU1 Temp")?.thresholds).toMatchObject({ unc: 80, ucr: 90, unr: 95 });
    }
  });

  it("a fan changed while the BMC runs is seen on the next poll, a disabled sensor reads null", async () => {
    bmc.setRaw(1, 0x10); // 800 RPM: below lnc
    bmc.command(
      "sensor_set_event_support 0x20 0 3 enable no-scanning per-state 000000000000000 000000000000000 000000000000000 000000000000000",
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const name of Object.keys(sources)) {
      const rs = await poll(sources[name] as SensorSource);
      expect(by(rs, "FAN1")?.value, name).toBe(800);
      // ipmimonitoring leaves unreadable sensors out entirely; the others print them as na / N/A
      if (name.includes("monitoring")) expect(by(rs, "Inlet Temp"), name).toBeUndefined();
      else expect(by(rs, "Inlet Temp")?.value, name).toBeNull();
    }
    const elist = await poll(sources["ipmitool lanplus sdr elist"] as SensorSource);
    expect(by(elist, "FAN1")?.status).toBe("lnc");
    const monitoring = await poll(sources["freeipmi ipmimonitoring"] as SensorSource);
    expect(by(monitoring, "FAN1")?.status).toBe("lnc"); // decoded from the event bitmask
  });
});
