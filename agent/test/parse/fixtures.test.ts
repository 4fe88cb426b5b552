import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Reading, readingCheck, validate } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { type Format, newParseStats, parsers } from "../../src/parse/index.js";

const FIX = join(import.meta.dirname, "../fixtures");
const ctx = { host: "h1", ts: 1_700_000_000_000 };
const parse = (format: Format, file: string) => parsers[format](readFileSync(join(FIX, format, file), "utf8"), ctx);
const by = (rs: Reading[], sensor: string) => {
  const r = rs.find((x) => x.sensor === sensor);
  if (!r) throw new Error(`no reading for ${sensor}`);
  return r;
};

describe("parse - FASRC ipmitool sdr captures (real Lenovo and Dell BMCs)", () => {
  const files = readdirSync(join(FIX, "fasrc")).filter((f) => f.endsWith(".txt"));
  it.each(files)("%s gives the expected readings; discrete rows are kept as state", (file) => {
    const got = parsers["ipmitool-sdr"](readFileSync(join(FIX, "fasrc", file), "utf8"), ctx);
    const expected = readFileSync(join(FIX, "fasrc", file.replace(".txt", ".expected.ndjson")), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Reading & { anyType?: boolean });
    const analog = got.filter((r) => r.state === undefined);
    expect(analog.length).toBe(expected.length);
    expected.forEach((e, i) => {
      const g = analog[i] as Reading;
      expect(g.sensor).toBe(e.sensor);
      expect(g.value).toBe(e.value);
      expect(g.status).toBe(e.status);
      if (!e.anyType) expect({ type: g.type, unit: g.unit }).toEqual({ type: e.type, unit: e.unit });
    });
    const discrete = got.filter((r) => r.state !== undefined);
    expect(discrete.length).toBeGreaterThan(0);
    for (const d of discrete) expect(d).toMatchObject({ type: "other", value: null });
    for (const r of got) expect(validate(readingCheck, r).ok).toBe(true);
  });
  it("keeps a BMC-reported 0 RPM fan as 0 and a `no reading` fan as null", () => {
    const all = readdirSync(join(FIX, "fasrc"))
      .filter((f) => f.endsWith(".txt"))
      .flatMap((f) => parsers["ipmitool-sdr"](readFileSync(join(FIX, "fasrc", f), "utf8"), ctx));
    expect(all.some((r) => r.type === "fan" && r.value === 0 && r.status === "cr")).toBe(true);
    expect(all.some((r) => /fan/i.test(r.sensor) && r.value === null && r.status === "ns")).toBe(true);
  });
});

describe("parse - ipmitool sdr (Supermicro)", () => {
  const rs = parse("ipmitool-sdr", "supermicro.txt");
  it("reads values and units, keeps zeros, nulls missing readings", () => {
    expect(by(rs, "CPU1 Temp")).toMatchObject({ type: "temperature", unit: "C", value: 45, status: "ok" });
    expect(by(rs, "FAN2")).toMatchObject({ type: "fan", unit: "RPM", value: 0, status: "cr" });
    expect(by(rs, "FAN3")).toMatchObject({ type: "fan", value: null, status: "ns" });
    expect(by(rs, "FANA")).toMatchObject({ type: "fan", value: null });
    expect(by(rs, "CPU2 Temp")).toMatchObject({ type: "temperature", value: null });
    expect(by(rs, "3.3VCC")).toMatchObject({ type: "voltage", unit: "V", value: 3.35 });
    expect(by(rs, "PS1 Status")).toMatchObject({ type: "other", value: null, state: "0x01" });
    expect(rs).toHaveLength(16);
  });
});

describe("parse - ipmitool sdr elist (Supermicro, Dell, HPE)", () => {
  it("Supermicro: hex ids, discrete presence rows, Disabled and No Reading", () => {
    const rs = parse("ipmitool-sdr-elist", "supermicro.txt");
    expect(by(rs, "FAN2")).toMatchObject({ type: "fan", value: 0, status: "lcr" });
    expect(by(rs, "FAN4")).toMatchObject({ type: "fan", value: null, status: "ns" });
    expect(by(rs, "CPU2 Temp")).toMatchObject({ type: "temperature", value: null });
    expect(by(rs, "PS2 Status")).toMatchObject({
      type: "other",
      value: null,
      state: "Presence detected, Failure detected",
    });
    expect(by(rs, "Chassis Intru")).toMatchObject({ type: "other", value: null, state: "ok" });
    expect(rs).toHaveLength(11);
  });
  it("Dell: duplicate names, amps, watts, redundancy state", () => {
    const rs = parse("ipmitool-sdr-elist", "dell.txt");
    expect(rs.filter((r) => r.sensor === "Temp").map((r) => r.value)).toEqual([52, null]);
    expect(by(rs, "Fan2A")).toMatchObject({ value: 1680, status: "lnc" });
    expect(by(rs, "Current 1")).toMatchObject({ type: "current", unit: "A", value: 0.6 });
    expect(by(rs, "Pwr Consumption")).toMatchObject({ type: "power", unit: "W", value: 140 });
    expect(by(rs, "PS Redundancy")).toMatchObject({ type: "other", state: "Fully Redundant", value: null });
  });
  it("HPE: fans in percent are utilization by unit, names never override a unit", () => {
    const rs = parse("ipmitool-sdr-elist", "hpe.txt");
    expect(by(rs, "01-Inlet Ambient")).toMatchObject({ type: "temperature", value: 22 });
    expect(by(rs, "Fan 2")).toMatchObject({ type: "utilization", unit: "%", value: 0 });
    expect(by(rs, "Power Supply 1")).toMatchObject({ type: "power", value: 180 });
    expect(by(rs, "Power Supply 2")).toMatchObject({ value: null, status: "ns" });
    expect(by(rs, "UID")).toMatchObject({ state: "0x00", value: null });
  });
});

describe("parse - ipmitool sensor (Supermicro, Intel, Lenovo)", () => {
  it("reads all six thresholds and turns na into null", () => {
    const rs = parse("ipmitool-sensor", "supermicro.txt");
    expect(by(rs, "FAN1")).toMatchObject({
      type: "fan",
      value: 4500,
      thresholds: { lnr: 300, lcr: 500, lnc: 700, unc: 25_300, ucr: 25_400, unr: 25_500 },
    });
    expect(by(rs, "FAN2").value).toBe(0);
    expect(by(rs, "FAN3")).toMatchObject({ type: "fan", unit: "RPM", value: null });
    expect(by(rs, "CPU2 Temp")).toMatchObject({ type: "temperature", value: null });
    expect(by(rs, "CPU2 Temp").thresholds).toBeUndefined();
    expect(by(rs, "VBAT").thresholds).toEqual({ lnr: 2.392, lcr: 2.522, lnc: 2.652, unc: null, ucr: null, unr: null });
    expect(by(rs, "PS1 Status")).toMatchObject({ type: "other", value: null, state: "0x1", status: "0x0100" });
  });
  it("Intel: unspecified units stay `other`, missing thresholds stay null", () => {
    const rs = parse("ipmitool-sensor", "intel.txt");
    expect(by(rs, "PS1 Curr Out %")).toMatchObject({ type: "other", unit: "unspecified", value: 14 });
    expect(by(rs, "System Fan 2")).toMatchObject({ value: 1568, status: "nc" });
    expect(by(rs, "System Fan 2").thresholds).toMatchObject({ lcr: 1680, lnc: 1876, lnr: null });
  });
  it("Lenovo: percent is utilization, low CMOS battery keeps its cr status", () => {
    const rs = parse("ipmitool-sensor", "lenovo.txt");
    expect(by(rs, "CPU Utilization")).toMatchObject({ type: "utilization", unit: "%", value: 12 });
    expect(by(rs, "CMOS Battery")).toMatchObject({ type: "voltage", value: 2.04, status: "cr" });
    expect(by(rs, "Fan 1B Tach")).toMatchObject({ type: "fan", value: null });
  });
});

describe("parse - FreeIPMI ipmi-sensors CSV (Supermicro, Dell, HPE)", () => {
  it("with thresholds: status from the event text, not from the state column", () => {
    const rs = parse("freeipmi-sensors", "supermicro.csv");
    expect(by(rs, "FAN3")).toMatchObject({ value: 600, status: "lnc", thresholds: { lnc: 700 } });
    expect(by(rs, "FAN2")).toMatchObject({ value: 0, status: "lnr" });
    expect(by(rs, "CPU2 Temp")).toMatchObject({ type: "temperature", unit: "C", value: null, status: "ns" });
    expect(by(rs, "PS2 Status")).toMatchObject({
      type: "other",
      value: null,
      state: "Presence detected; Power Supply Failure detected",
    });
  });
  it("Dell without thresholds: unit decides over FreeIPMI's Type column", () => {
    const rs = parse("freeipmi-sensors", "dell.csv");
    expect(by(rs, "Pwr Consumption")).toMatchObject({ type: "power", unit: "W", value: 140 });
    expect(by(rs, "Temp")).toMatchObject({ type: "temperature", value: null });
    expect(by(rs, "PS Redundancy")).toMatchObject({ state: "Fully Redundant", value: null });
    expect(by(rs, "Fan2A").status).toBe("lnc");
  });
  it("HPE: fan duty in percent and a fan-redundancy discrete row", () => {
    const rs = parse("freeipmi-sensors", "hpe.csv");
    expect(by(rs, "Fan 2")).toMatchObject({ type: "utilization", value: 0 });
    expect(by(rs, "04-P1 DIMM 1-6")).toMatchObject({ value: null, type: "temperature" });
    expect(by(rs, "Fans")).toMatchObject({ type: "fan", value: null });
  });
});

describe("parse - ipmimonitoring (Lenovo CSV with event bitmask, Intel table)", () => {
  it("CSV with ipmi_exporter's flags", () => {
    const rs = parse("ipmimonitoring", "lenovo.csv");
    expect(by(rs, "Fan 1B Tach")).toMatchObject({ type: "fan", unit: "RPM", value: null });
    expect(by(rs, "CMOS Battery")).toMatchObject({ value: 2.04, status: "lcr" }); // bitmask 2h = LC
    expect(by(rs, "PSU1 Status")).toMatchObject({ type: "other", state: "1h" });
    expect(rs).toHaveLength(7);
  });
  it("default `|` table with a header line", () => {
    const rs = parse("ipmimonitoring", "intel.txt");
    expect(rs).toHaveLength(6);
    expect(by(rs, "System Fan 2")).toMatchObject({ value: 1568, status: "lnc" });
    expect(by(rs, "PS1 Input Power")).toMatchObject({ type: "power", value: 168 });
  });
});

describe("parse - ugly input", () => {
  it("CRLF, tabs, blank lines, trailing bars, a truncated last line and garbage between rows", () => {
    const text = [
      "",
      "FAN1\t|   4500 RPM   |\tok\r",
      "garbage line without separators",
      "   FAN2 | 0 RPM | cr |   ",
      "Temp | NO READING | ns\r",
      "| VBAT | 3.11 Volts | ok |",
      "12V | 12.",
    ].join("\n");
    const rs = parsers["ipmitool-sdr"](text, ctx);
    expect(rs.map((r) => [r.sensor, r.value, r.status])).toEqual([
      ["FAN1", 4_500, "ok"],
      ["FAN2", 0, "cr"],
      ["Temp", null, "ns"],
      ["VBAT", 3.11, "ok"],
    ]);
  });
  it("FreeIPMI: an event text with commas and a sensor name with odd spacing", () => {
    const rs = parsers["freeipmi-sensors"](
      "7,  PSU2 Status ,Power Supply,Critical,N/A,N/A,'Presence detected','Power Supply input lost (AC/DC)', 'x,y'\n",
      ctx,
    );
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ sensor: "PSU2 Status", type: "other", value: null });
    expect(rs[0]?.state).toMatch(/Presence detected.*input lost.*x,y/);
  });
});

describe("parse - Intel captures: a state after the unit, margins to Tjmax, tool noise between rows", () => {
  const run = (format: Format, file: string) => {
    const stats = newParseStats();
    const rs = parsers[format](readFileSync(join(FIX, format, file), "utf8"), ctx, stats);
    return { rs, stats };
  };
  const margins = /DTS|Margin/;

  it.each([
    ["ipmitool-sdr", "intel-margins.txt", 2, 7],
    ["ipmitool-sdr-elist", "intel-margins.txt", 2, 7],
    ["ipmitool-sensor", "intel-margins.txt", 2, 5],
    ["freeipmi-sensors", "intel-margins.csv", 2, 5],
    ["ipmimonitoring", "intel-margins.csv", 1, 4],
  ] as const)("%s %s: margins are `other`, noise lines skipped and counted", (format, file, skipped, count) => {
    const { rs, stats } = run(format, file);
    expect(rs).toHaveLength(count);
    expect(stats).toMatchObject({ skipped, lines: skipped + count });
    const m = rs.filter((r) => margins.test(r.sensor));
    expect(m.length).toBeGreaterThan(0);
    for (const r of m) expect(r).toMatchObject({ type: "other", unit: "C" });
    expect(m.every((r) => typeof r.value === "number" && r.value < 0)).toBe(true);
    expect(by(rs, "BB Inlet Temp")).toMatchObject({ type: "temperature", unit: "C", value: 24 });
    expect(by(rs, "System Fan 1")).toMatchObject({ type: "fan", unit: "RPM", value: 3430 });
    for (const r of rs) expect(validate(readingCheck, r).ok).toBe(true);
  });

  it.each(["ipmitool-sdr", "ipmitool-sdr-elist"] as const)(
    "%s: `105 Watts, Presence detected` is 105 W power, `35 percent, Transition to Running` is 35 %% utilization",
    (format) => {
      const { rs } = run(format, "intel-margins.txt");
      expect(by(rs, "PS1 Input Power")).toMatchObject({ type: "power", unit: "W", value: 105, status: "ok" });
      expect(by(rs, "PS1 Input Power").state).toBeUndefined();
      expect(by(rs, "PS1 Curr Out %")).toMatchObject({ type: "utilization", unit: "%", value: 35, status: "ok" });
    },
  );
});
