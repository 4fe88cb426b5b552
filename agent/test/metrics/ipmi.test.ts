import type { Reading } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { agentMetrics, registerDetectorMetrics, SensorBook, stateNumber } from "../../src/metrics/index.js";

const r = (sensor: string, type: Reading["type"], unit: string, value: number | null, status?: string): Reading => ({
  ts: 1_000,
  host: "db1",
  sensor,
  type,
  unit,
  value,
  ...(status ? { status } : {}),
});

describe("agent metrics - ipmi_exporter's families", () => {
  it("ipmi - readings land in ipmi_exporter's families by unit, with id and name; N/A is NaN", async () => {
    const m = agentMetrics();
    const book = new SensorBook();
    book.register(m, () => [
      { source: "ipmitool-open", host: "db1", polls: 3, failures: 0, lastDurationMs: 250 },
      { source: "redfish:bmc2", host: "db2", polls: 2, failures: 2, lastDurationMs: 8_000 },
      { source: "never-polled", host: "db3", polls: 0, failures: 0, lastDurationMs: null },
    ]);
    book.record("db1", [
      r("FAN1", "fan", "RPM", 5_200, "ok"),
      r("Inlet Temp", "temperature", "C", 24, "unc"),
      r("12V", "voltage", "V", 12.1, "lcr"),
      r("PS1 Current", "current", "A", 1.4),
      r("Pwr Consumption", "power", "W", 310, "ok"),
      r("Fan 2", "fan", "%", 40, "ok"),
      r("CPU Utilization", "utilization", "%", 12),
      r("FAN3", "fan", "RPM", null, "ns"),
    ]);
    book.record("db1", [r("FAN1", "fan", "RPM", 5_100, "ok")]); // latest value, same id
    const text = await m.render();
    const line = (s: string) => expect(text).toMatch(new RegExp(`^${s.replace(/[{}.]/g, "\\$&")}$`, "m"));
    line('ipmi_fan_speed_rpm{host="db1",id="1",name="FAN1"} 5100');
    line('ipmi_fan_speed_state{host="db1",id="1",name="FAN1"} 0');
    line('ipmi_temperature_celsius{host="db1",id="2",name="Inlet Temp"} 24');
    line('ipmi_temperature_state{host="db1",id="2",name="Inlet Temp"} 1');
    line('ipmi_voltage_volts{host="db1",id="3",name="12V"} 12.1');
    line('ipmi_voltage_state{host="db1",id="3",name="12V"} 2');
    line('ipmi_current_amperes{host="db1",id="4",name="PS1 Current"} 1.4');
    line('ipmi_power_watts{host="db1",id="5",name="Pwr Consumption"} 310');
    line('ipmi_fan_speed_ratio{host="db1",id="6",name="Fan 2"} 0.4');
    line('ipmi_sensor_value{host="db1",id="7",name="CPU Utilization",type="Utilization"} 12');
    expect(text).toMatch(/^ipmi_fan_speed_rpm\{host="db1",id="8",name="FAN3"\} NaN$/im);
    line('ipmi_up{host="db1",collector="ipmitool-open"} 1');
    line('ipmi_up{host="db2",collector="redfish:bmc2"} 0');
    expect(text).not.toContain("never-polled");
    line('ipmi_scrape_duration_seconds{host="db1"} 0.25');
    for (const f of ["ipmi_fan_speed_rpm", "ipmi_temperature_celsius", "ipmi_sensor_state", "ipmi_up"])
      expect(text).toContain(`# HELP ${f} `);
  });

  it("ipmi - BMC status words become ipmi_exporter's 0/1/2, anything else NaN", () => {
    expect(["ok", "Nominal", "unc", "lnc", "Warning", "lcr", "ucr", "lnr", "unr", "Critical"].map(stateNumber)).toEqual(
      [0, 0, 1, 1, 1, 2, 2, 2, 2, 2],
    );
    expect(stateNumber(undefined)).toBeNaN();
    expect(stateNumber("ns")).toBeNaN();
  });

  it("detector metrics - open episodes by severity from the detector's view, every severity present", async () => {
    const m = agentMetrics();
    const detector = createDetector();
    registerDetectorMetrics(m, { detector, hosts: ["db1"], sources: () => [], now: () => 0 });
    const text = await m.render();
    for (const severity of ["info", "warning", "critical"])
      expect(text).toContain(`presage_detector_episodes_open{host="db1",severity="${severity}"} 0`);
    for (const f of ["presage_sensor_residual", "presage_sensor_score", "presage_sensor_predicted_failure_seconds"])
      expect(text).toContain(`# TYPE ${f} gauge`);
  });
});

describe("detector metrics - residual, score and time to failure", () => {
  it("detector metrics - a fan bank judged bucket by bucket reports each fan's residual and score", async () => {
    const detector = createDetector({ profile: "lab", bucketMs: 1_000, learnBuckets: 3 });
    for (let s = 0; s < 60; s++)
      for (let f = 1; f <= 4; f++)
        detector.ingest({ ...r(`FAN${f}`, "fan", "RPM", 6_000 + f * 10 + (s % 3) * 20), ts: 1_000 + s * 1_000 });
    const view = detector.inspect?.("db1");
    expect(view?.sensors.map((s) => s.sensor).sort()).toEqual(["FAN1", "FAN2", "FAN3", "FAN4"]);
    const m = agentMetrics();
    registerDetectorMetrics(m, { detector, hosts: ["db1"], sources: () => [], now: () => 61_000 });
    const text = await m.render();
    expect(text).toMatch(/^presage_sensor_residual\{host="db1",sensor="FAN1"\} -?[\d.e-]+$/m);
    expect(text).toMatch(/^presage_sensor_score\{host="db1",sensor="FAN1"\} -?[\d.e-]+$/m);
  });
});

describe("detector metrics - from a detector's view", () => {
  it("detector metrics - predicted failure in seconds from now (0 when past), absent when not heading there", async () => {
    const m = agentMetrics();
    const fake = {
      ingest: () => [],
      health: () => ({ status: "ok" as const, conditions: [] }),
      inspect: () => ({
        sensors: [
          { sensor: "FAN3", ts: 0, residual: 0.4, score: 2, predictedAt: 3_610_000 },
          { sensor: "FAN4", ts: 0, residual: 0.9, score: 4, predictedAt: 5_000 },
          { sensor: "FAN1", ts: 0, residual: 0, score: 0, predictedAt: null },
        ],
        open: ["critical" as const, "warning" as const, "warning" as const],
      }),
    };
    registerDetectorMetrics(m, { detector: fake, hosts: ["db1"], sources: () => [], now: () => 10_000 });
    const text = await m.render();
    expect(text).toContain('presage_sensor_predicted_failure_seconds{host="db1",sensor="FAN3"} 3600\n');
    expect(text).toContain('presage_sensor_predicted_failure_seconds{host="db1",sensor="FAN4"} 0\n');
    expect(text).not.toContain('presage_sensor_predicted_failure_seconds{host="db1",sensor="FAN1"}');
    expect(text).toContain('presage_sensor_score{host="db1",sensor="FAN4"} 4\n');
    expect(text).toContain('presage_detector_episodes_open{host="db1",severity="warning"} 2\n');
    expect(text).toContain('presage_detector_episodes_open{host="db1",severity="critical"} 1\n');
  });
});
