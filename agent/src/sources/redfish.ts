/**
 * Redfish over HTTP(S) with node's own http/https (no dependency). Reads every chassis: the newer
 * `Sensors` collection where the chassis links one (ThermalSubsystem era), otherwise the classic
 * `Thermal` and `Power` documents. Session auth (X-Auth-Token, re-login once on 401) or basic auth;
 * TLS with a CA file or an explicit insecure flag for self-signed BMC certificates.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Reading, Thresholds } from "@presage/shared";
import type { RedfishSourceConfig } from "../config.js";
import { classify } from "../parse/classify.js";
import { clip, type ParseContext } from "../parse/common.js";
import { readPassword } from "./credentials.js";
import type { SensorSource } from "./source.js";

export class RedfishError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RedfishError";
  }
}

type Json = Record<string, unknown>;
type Res = { status: number; headers: http.IncomingHttpHeaders; body: string };

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const link = (v: unknown): string | null =>
  isObj(v) && typeof v["@odata.id"] === "string" ? (v["@odata.id"] as string) : null;

/** Redfish Status -> contract status word; absent parts are skipped by the caller. */
function statusOf(o: Json): string | undefined {
  const s = isObj(o.Status) ? o.Status : {};
  const state = str(s.State);
  if (state === "Disabled" || state === "UnavailableOffline") return "ns";
  const health = str(s.Health).toLowerCase();
  return health === "" ? undefined : health;
}
const absent = (o: Json) => isObj(o.Status) && str(o.Status.State) === "Absent";

/** Classic Thermal/Power threshold names. */
function classicThresholds(o: Json): Partial<Thresholds> {
  return {
    lnr: numOrNull(o.LowerThresholdFatal),
    lcr: numOrNull(o.LowerThresholdCritical),
    lnc: numOrNull(o.LowerThresholdNonCritical),
    unc: numOrNull(o.UpperThresholdNonCritical),
    ucr: numOrNull(o.UpperThresholdCritical),
    unr: numOrNull(o.UpperThresholdFatal),
  };
}

/** Sensor.Thresholds: { LowerCaution: { Reading }, ... } */
function sensorThresholds(o: Json): Partial<Thresholds> {
  const t = isObj(o.Thresholds) ? o.Thresholds : {};
  const r = (k: string) => (isObj(t[k]) ? numOrNull((t[k] as Json).Reading) : null);
  return {
    lnr: r("LowerFatal"),
    lcr: r("LowerCritical"),
    lnc: r("LowerCaution"),
    unc: r("UpperCaution"),
    ucr: r("UpperCritical"),
    unr: r("UpperFatal"),
  };
}

const UNIT_MAP: Record<string, string> = { Cel: "C", V: "V", W: "W", A: "A", RPM: "RPM", "%": "%", Percent: "%" };

function mk(
  ctx: ParseContext,
  name: string,
  unit: string,
  typeWord: string,
  value: number | null,
  o: Json,
  th: Partial<Thresholds>,
): Reading | null {
  const sensor = clip(name.trim(), 256);
  if (!sensor) return null;
  const r: Reading = { ts: ctx.ts, host: ctx.host, sensor, ...classify(sensor, unit, typeWord), value };
  const status = statusOf(o);
  if (status) r.status = status;
  if (Object.values(th).some((v) => v !== null)) r.thresholds = th;
  return r;
}

/** Readings from a classic Chassis/{id}/Thermal document. */
export function thermalReadings(doc: Json, ctx: ParseContext): Reading[] {
  const out: (Reading | null)[] = [];
  for (const t of arr(doc.Temperatures)) {
    if (absent(t)) continue;
    out.push(mk(ctx, str(t.Name), "C", "temperature", numOrNull(t.ReadingCelsius), t, classicThresholds(t)));
  }
  for (const f of arr(doc.Fans)) {
    if (absent(f)) continue;
    const unit = str(f.ReadingUnits) === "Percent" ? "%" : "RPM";
    out.push(mk(ctx, str(f.Name) || str(f.FanName), unit, "fan", numOrNull(f.Reading), f, classicThresholds(f)));
  }
  return out.filter((r): r is Reading => r !== null);
}

/** Readings from a classic Chassis/{id}/Power document; supplies are kept as their health state. */
export function powerReadings(doc: Json, ctx: ParseContext): Reading[] {
  const out: (Reading | null)[] = [];
  for (const p of arr(doc.PowerControl))
    out.push(mk(ctx, str(p.Name) || "Power Control", "W", "power", numOrNull(p.PowerConsumedWatts), p, {}));
  for (const v of arr(doc.Voltages)) {
    if (absent(v)) continue;
    out.push(mk(ctx, str(v.Name), "V", "voltage", numOrNull(v.ReadingVolts), v, classicThresholds(v)));
  }
  for (const s of arr(doc.PowerSupplies)) {
    const name = str(s.Name) || `PSU ${str(s.MemberId)}`;
    const st = isObj(s.Status) ? s.Status : {};
    const r = mk(ctx, `${name} Status`, "", "", null, s, {});
    if (r)
      out.push({
        ...r,
        type: "other",
        unit: "",
        state: clip(`${str(st.State) || "Unknown"} ${str(st.Health)}`.trim(), 256),
      });
    if (!absent(s) && numOrNull(s.PowerInputWatts) !== null)
      out.push(mk(ctx, `${name} Input Power`, "W", "power", numOrNull(s.PowerInputWatts), s, {}));
  }
  return out.filter((r): r is Reading => r !== null);
}

/** Readings from the members of a Chassis/{id}/Sensors collection (Redfish 2020.4+). */
export function sensorReadings(members: Json[], ctx: ParseContext): Reading[] {
  const out: (Reading | null)[] = [];
  for (const s of members) {
    if (absent(s)) continue;
    const unit = UNIT_MAP[str(s.ReadingUnits)] ?? str(s.ReadingUnits);
    const typeWord = str(s.ReadingType) === "Rotational" ? "fan" : str(s.ReadingType);
    out.push(mk(ctx, str(s.Name) || str(s.Id), unit, typeWord, numOrNull(s.Reading), s, sensorThresholds(s)));
  }
  return out.filter((r): r is Reading => r !== null);
}

export type RedfishOptions = { host: string; timeoutMs: number; now: () => number };

export function redfishSource(c: RedfishSourceConfig, o: RedfishOptions): SensorSource {
  const base = new URL(c.url);
  const isHttps = base.protocol === "https:";
  const agent = isHttps
    ? new https.Agent({
        keepAlive: true,
        ca: c.caFile ? readFileSync(c.caFile) : undefined,
        rejectUnauthorized: !c.insecure,
      })
    : new http.Agent({ keepAlive: true });
  let token: string | null = null;
  let sessionUri: string | null = null;

  function request(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: Json,
    headers: Record<string, string> = {},
  ): Promise<Res> {
    const url = new URL(path, base);
    const h: Record<string, string> = { Accept: "application/json", "OData-Version": "4.0", ...headers };
    const payload = body ? JSON.stringify(body) : undefined;
    if (payload) h["Content-Type"] = "application/json";
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, { method, headers: h, agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          size += d.length;
          if (size > 16 << 20) req.destroy(new RedfishError(`${path}: response larger than 16 MiB`));
          else chunks.push(d);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      req.on("error", (e) =>
        reject(signal.aborted ? (signal.reason ?? e) : new RedfishError(`${c.url}${path}: ${e.message}`)),
      );
      req.end(payload);
    });
  }

  async function login(signal: AbortSignal): Promise<void> {
    const res = await request("POST", "/redfish/v1/SessionService/Sessions", signal, {
      UserName: c.user ?? "",
      Password: readPassword(c) ?? "",
    });
    const t = res.headers["x-auth-token"];
    if (res.status >= 400 || typeof t !== "string")
      throw new RedfishError(`Redfish login to ${c.url} failed with HTTP ${res.status}`, res.status);
    token = t;
    sessionUri = typeof res.headers.location === "string" ? res.headers.location : null;
  }

  function authHeaders(): Record<string, string> {
    if ((c.auth ?? "session") === "basic") {
      const pair = `${c.user ?? ""}:${readPassword(c) ?? ""}`;
      return { Authorization: `Basic ${Buffer.from(pair).toString("base64")}` };
    }
    return token ? { "X-Auth-Token": token } : {};
  }

  async function get(path: string, signal: AbortSignal): Promise<Json> {
    const session = (c.auth ?? "session") === "session";
    if (session && !token) await login(signal);
    let res = await request("GET", path, signal, undefined, authHeaders());
    if (res.status === 401 && session) {
      token = null; // expired session: log in again, once
      await login(signal);
      res = await request("GET", path, signal, undefined, authHeaders());
    }
    if (res.status === 401 || res.status === 403)
      throw new RedfishError(`Redfish ${c.url}${path}: HTTP ${res.status}, check the user and password`, res.status);
    if (res.status >= 400) throw new RedfishError(`Redfish ${c.url}${path}: HTTP ${res.status}`, res.status);
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch (e) {
      throw new RedfishError(`Redfish ${c.url}${path}: response is not JSON (${(e as Error).message})`);
    }
    if (!isObj(doc)) throw new RedfishError(`Redfish ${c.url}${path}: response is not a JSON object`);
    return doc;
  }

  async function members(path: string, signal: AbortSignal): Promise<Json[]> {
    const coll = await get(path, signal);
    const out: Json[] = [];
    for (const m of arr(coll.Members)) {
      const p = link(m);
      // some BMCs inline ($expand) members; otherwise fetch each one (one at a time: BMCs are slow and small)
      if (p && Object.keys(m).length === 1) out.push(await get(p, signal));
      else out.push(m);
    }
    return out;
  }

  return {
    name: `redfish:${base.host}`,
    host: o.host,
    async poll(signal): Promise<Reading[]> {
      const ctx = { host: o.host, ts: o.now() };
      const out: Reading[] = [];
      for (const chassis of await members("/redfish/v1/Chassis", signal)) {
        const sensors = link(chassis.Sensors);
        if (sensors) {
          out.push(...sensorReadings(await members(sensors, signal), ctx));
          continue;
        }
        const thermal = link(chassis.Thermal);
        const power = link(chassis.Power);
        if (thermal) out.push(...thermalReadings(await get(thermal, signal), ctx));
        if (power) out.push(...powerReadings(await get(power, signal), ctx));
      }
      return out;
    },
    async close() {
      if (token && sessionUri) {
        await request("DELETE", sessionUri, AbortSignal.timeout(2_000), undefined, authHeaders()).catch(() => {});
      }
      agent.destroy();
    },
  };
}
