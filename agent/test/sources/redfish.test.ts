import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Reading, readingCheck, validate } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedfishSourceConfig } from "../../src/config.js";
import { redfishSource } from "../../src/sources/redfish.js";

type Doc = Record<string, unknown>;
const odata = (id: string) => ({ "@odata.id": id });

/** A DMTF-shaped BMC: chassis 1 old-style (Thermal/Power), chassis 2 new-style (Sensors collection). */
function documents(): Record<string, Doc> {
  return {
    "/redfish/v1/Chassis": { Members: [odata("/redfish/v1/Chassis/1"), odata("/redfish/v1/Chassis/2")] },
    "/redfish/v1/Chassis/1": {
      Id: "1",
      Thermal: odata("/redfish/v1/Chassis/1/Thermal"),
      Power: odata("/redfish/v1/Chassis/1/Power"),
    },
    "/redfish/v1/Chassis/1/Thermal": {
      Temperatures: [
        {
          Name: "Inlet Temp",
          ReadingCelsius: 23,
          UpperThresholdNonCritical: 42,
          UpperThresholdCritical: 47,
          Status: { State: "Enabled", Health: "OK" },
        },
        { Name: "CPU1 Temp", ReadingCelsius: null, Status: { State: "Disabled" } },
        { Name: "CPU9 Temp", ReadingCelsius: 0, Status: { State: "Absent" } },
      ],
      Fans: [
        {
          Name: "Fan1A",
          Reading: 0,
          ReadingUnits: "RPM",
          LowerThresholdCritical: 600,
          Status: { State: "Enabled", Health: "Critical" },
        },
        { FanName: "Fan2A", Reading: 5040, ReadingUnits: "RPM", Status: { State: "Enabled", Health: "OK" } },
        { Name: "Fan 3", Reading: 35, ReadingUnits: "Percent", Status: { State: "Enabled", Health: "OK" } },
      ],
    },
    "/redfish/v1/Chassis/1/Power": {
      PowerControl: [{ Name: "System Power Control", PowerConsumedWatts: 212 }],
      Voltages: [
        {
          Name: "PS1 12V",
          ReadingVolts: 12.06,
          LowerThresholdCritical: 10.8,
          UpperThresholdCritical: 13.2,
          Status: { State: "Enabled", Health: "OK" },
        },
      ],
      PowerSupplies: [
        { Name: "PS1", PowerInputWatts: 230, Status: { State: "Enabled", Health: "OK" } },
        { Name: "PS2", PowerInputWatts: null, Status: { State: "Absent" } },
      ],
    },
    "/redfish/v1/Chassis/2": {
      Id: "2",
      Sensors: odata("/redfish/v1/Chassis/2/Sensors"),
      ThermalSubsystem: odata("/redfish/v1/Chassis/2/ThermalSubsystem"),
    },
    "/redfish/v1/Chassis/2/Sensors": {
      Members: [
        odata("/redfish/v1/Chassis/2/Sensors/Fan1"),
        odata("/redfish/v1/Chassis/2/Sensors/CPU0Temp"),
        // some BMCs inline members
        {
          "@odata.id": "/redfish/v1/Chassis/2/Sensors/VR",
          Name: "VR 1V8",
          Reading: 1.79,
          ReadingType: "Voltage",
          ReadingUnits: "V",
        },
      ],
    },
    "/redfish/v1/Chassis/2/Sensors/Fan1": {
      Name: "System Fan 1",
      Reading: 7200,
      ReadingType: "Rotational",
      ReadingUnits: "RPM",
      Thresholds: { LowerCritical: { Reading: 800 }, LowerCaution: { Reading: 1200 } },
      Status: { State: "Enabled", Health: "OK" },
    },
    "/redfish/v1/Chassis/2/Sensors/CPU0Temp": {
      Name: "CPU0 Temp",
      Reading: 61.5,
      ReadingType: "Temperature",
      ReadingUnits: "Cel",
      Thresholds: { UpperCritical: { Reading: 95 }, UpperFatal: { Reading: 100 } },
      Status: { State: "Enabled", Health: "Warning" },
    },
  };
}

type Behaviour = "ok" | "broken-json" | "hang";
type Server = {
  url: string;
  close(): Promise<void>;
  behaviour: Behaviour;
  logins: number;
  sessionsDeleted: number;
  expireToken(): void;
};

function serve(useTls: boolean, tls?: { key: Buffer; cert: Buffer }): Promise<Server> {
  const docs = documents();
  let token = "tok-1";
  const state = { behaviour: "ok" as Behaviour, logins: 0, sessionsDeleted: 0 };
  const handler: http.RequestListener = (req, res) => {
    const url = req.url ?? "";
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url === "/redfish/v1/SessionService/Sessions") {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        const b = JSON.parse(body) as { UserName: string; Password: string };
        if (b.UserName !== "root" || b.Password !== "calvin") return json(401, { error: "bad credentials" });
        state.logins++;
        json(201, {}, { "X-Auth-Token": token, Location: "/redfish/v1/SessionService/Sessions/1" });
      });
      return;
    }
    if (req.method === "DELETE") {
      state.sessionsDeleted++;
      return json(204, {});
    }
    const basicOk = req.headers.authorization === `Basic ${Buffer.from("root:calvin").toString("base64")}`;
    if (req.headers["x-auth-token"] !== token && !basicOk) return json(401, { error: "unauthorized" });
    if (state.behaviour === "hang") return; // never answers
    if (state.behaviour === "broken-json" && url.endsWith("/Thermal")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end('{"Temperatures": [');
    }
    const doc = docs[url];
    if (!doc) return json(404, { error: "not found" });
    json(200, doc);
  };
  const server = useTls && tls ? https.createServer(tls, handler) : http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      const s: Server = {
        url: `${useTls ? "https" : "http"}://127.0.0.1:${port}`,
        get behaviour() {
          return state.behaviour;
        },
        set behaviour(b) {
          state.behaviour = b;
        },
        get logins() {
          return state.logins;
        },
        get sessionsDeleted() {
          return state.sessionsDeleted;
        },
        expireToken() {
          token = `tok-${Math.random()}`;
        },
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      };
      resolve(s);
    });
  });
}

const by = (rs: Reading[], s: string) => rs.find((r) => r.sensor === s);
const ctx = { host: "h1", timeoutMs: 3_000, now: () => 1_700_000_000_000 };

describe("redfish source - against a local DMTF-shaped server", () => {
  let dir: string;
  let pw: string;
  let plain: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "presage-redfish-"));
    pw = join(dir, "pw");
    writeFileSync(pw, "calvin\n", { mode: 0o600 });
    plain = await serve(false);
  });
  afterAll(async () => {
    await plain?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cfg = (over: Partial<RedfishSourceConfig> = {}): RedfishSourceConfig => ({
    kind: "redfish",
    url: plain.url,
    user: "root",
    passwordFile: pw,
    ...over,
  });

  it("reads old-style Thermal/Power and new-style Sensors chassis with session auth", async () => {
    const src = redfishSource(cfg(), ctx);
    const rs = await src.poll(AbortSignal.timeout(5_000));
    expect(by(rs, "Inlet Temp")).toMatchObject({
      type: "temperature",
      unit: "C",
      value: 23,
      status: "ok",
      thresholds: { unc: 42, ucr: 47 },
    });
    expect(by(rs, "CPU1 Temp")).toMatchObject({ value: null, status: "ns" });
    expect(by(rs, "CPU9 Temp")).toBeUndefined(); // absent slot
    expect(by(rs, "Fan1A")).toMatchObject({
      type: "fan",
      unit: "RPM",
      value: 0,
      status: "critical",
      thresholds: { lcr: 600 },
    });
    expect(by(rs, "Fan2A")).toMatchObject({ type: "fan", value: 5_040 });
    expect(by(rs, "Fan 3")).toMatchObject({ unit: "%", value: 35 });
    expect(by(rs, "System Power Control")).toMatchObject({ type: "power", unit: "W", value: 212 });
    expect(by(rs, "PS1 12V")).toMatchObject({ type: "voltage", value: 12.06, thresholds: { lcr: 10.8, ucr: 13.2 } });
    expect(by(rs, "PS2 Status")).toMatchObject({ type: "other", value: null, state: "Absent" });
    expect(by(rs, "System Fan 1")).toMatchObject({
      type: "fan",
      unit: "RPM",
      value: 7_200,
      thresholds: { lcr: 800, lnc: 1_200 },
    });
    expect(by(rs, "CPU0 Temp")).toMatchObject({
      type: "temperature",
      unit: "C",
      value: 61.5,
      status: "warning",
      thresholds: { ucr: 95, unr: 100 },
    });
    expect(by(rs, "VR 1V8")).toMatchObject({ type: "voltage", value: 1.79 });
    for (const r of rs) expect(validate(readingCheck, r).ok).toBe(true);
    // the session is reused, renewed once when it expires, and deleted on close
    await src.poll(AbortSignal.timeout(5_000));
    expect(plain.logins).toBe(1);
    plain.expireToken();
    await src.poll(AbortSignal.timeout(5_000));
    expect(plain.logins).toBe(2);
    await src.close?.();
    expect(plain.sessionsDeleted).toBe(1);
  });

  it("basic auth works; a wrong password is a clear 401 error", async () => {
    const rs = await redfishSource(cfg({ auth: "basic" }), ctx).poll(AbortSignal.timeout(5_000));
    expect(rs.length).toBeGreaterThan(10);
    writeFileSync(join(dir, "wrong"), "hunter2");
    await expect(
      redfishSource(cfg({ auth: "basic", passwordFile: join(dir, "wrong") }), ctx).poll(AbortSignal.timeout(5_000)),
    ).rejects.toThrow(/HTTP 401, check the user and password/);
    await expect(
      redfishSource(cfg({ passwordFile: join(dir, "wrong") }), ctx).poll(AbortSignal.timeout(5_000)),
    ).rejects.toThrow(/login .* failed with HTTP 401/);
  });

  it("broken JSON is an error naming the document, not a crash", async () => {
    plain.behaviour = "broken-json";
    try {
      await expect(redfishSource(cfg(), ctx).poll(AbortSignal.timeout(5_000))).rejects.toThrow(
        /Chassis\/1\/Thermal: response is not JSON/,
      );
    } finally {
      plain.behaviour = "ok";
    }
  });

  it("a BMC that never answers is abandoned when the poll's signal fires", async () => {
    plain.behaviour = "hang";
    try {
      const t0 = Date.now();
      await expect(redfishSource(cfg({ auth: "basic" }), ctx).poll(AbortSignal.timeout(300))).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      plain.behaviour = "ok";
    }
  });

  it("TLS: trusts the BMC's certificate through caFile, refuses it without, accepts it with insecure", async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const tlsServer = await serve(true, {
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    });
    try {
      const withCa = await redfishSource(cfg({ url: tlsServer.url, caFile: join(dir, "cert.pem") }), ctx).poll(
        AbortSignal.timeout(5_000),
      );
      expect(by(withCa, "Inlet Temp")?.value).toBe(23);
      await expect(redfishSource(cfg({ url: tlsServer.url }), ctx).poll(AbortSignal.timeout(5_000))).rejects.toThrow(
        /self.signed|certificate/i,
      );
      const insecure = await redfishSource(cfg({ url: tlsServer.url, insecure: true }), ctx).poll(
        AbortSignal.timeout(5_000),
      );
      expect(insecure.length).toBe(withCa.length);
    } finally {
      await tlsServer.close();
    }
  });
});
