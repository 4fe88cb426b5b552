/**
 * What agents report, kept in memory: the last heartbeat of each host (and since when it has
 * been healthy, for the return grace period), the latest readings with a short history per
 * sensor (for `presage host` sparklines) and the recent events. Nothing here is durable: it is
 * rebuilt from the live streams after a restart.
 */
import type { Heartbeat, Logger, Metrics, Reading, ReadingBatch, SensorEvent } from "@presage/shared";
import type { HeartbeatInfo } from "./reconcile.js";

type SensorTrack = { latest: Reading; history: (number | null)[]; ts: number[] };

const MAX_EVENTS = 2_000;

export const SENSORS_DROPPED = "presage_telemetry_sensors_dropped_total";

export type TelemetryOptions = {
  /** values kept per sensor (config `readingsHistory`) */
  historyLength: number;
  /** distinct sensors kept per host (config `telemetry.maxSensorsPerHost`); readings of more are dropped */
  maxSensorsPerHost: number;
  metrics?: Metrics;
  log?: Logger;
};

export class Telemetry {
  readonly #hb = new Map<string, { hb: Heartbeat; info: HeartbeatInfo }>();
  readonly #sensors = new Map<string, Map<string, SensorTrack>>();
  readonly #events: SensorEvent[] = [];
  /** hosts already logged as over the sensor cap (logged once each) */
  readonly #overCap = new Set<string>();
  readonly historyLength: number;

  constructor(readonly o: TelemetryOptions) {
    this.historyLength = o.historyLength;
  }

  heartbeat(hb: Heartbeat, now: number): HeartbeatInfo {
    const prev = this.#hb.get(hb.host)?.info;
    const healthySince = hb.status === "ok" ? (prev?.healthySince ?? now) : null;
    const info = { lastAt: now, healthySince };
    this.#hb.set(hb.host, { hb, info });
    return info;
  }

  lastHeartbeat(host: string): Heartbeat | null {
    return this.#hb.get(host)?.hb ?? null;
  }

  heartbeatInfo(): Map<string, HeartbeatInfo> {
    return new Map([...this.#hb].map(([h, v]) => [h, v.info]));
  }

  readings(batch: ReadingBatch): void {
    let m = this.#sensors.get(batch.host);
    if (!m) {
      m = new Map();
      this.#sensors.set(batch.host, m);
    }
    let dropped = 0;
    for (const r of batch.readings) {
      if (r.host !== batch.host) continue;
      let t = m.get(r.sensor);
      if (!t) {
        // a host that invents sensor names (a bug or an attacker) must not grow the controller without bound
        if (m.size >= this.o.maxSensorsPerHost) {
          dropped++;
          continue;
        }
        t = { latest: r, history: [], ts: [] };
        m.set(r.sensor, t);
      }
      t.latest = r;
      t.history.push(r.value);
      t.ts.push(r.ts);
      if (t.history.length > this.historyLength) {
        t.history.shift();
        t.ts.shift();
      }
    }
    if (dropped) this.#dropped(batch.host, dropped);
  }

  #dropped(host: string, n: number): void {
    this.o.metrics?.inc(SENSORS_DROPPED, undefined, n);
    if (this.#overCap.has(host)) return;
    this.#overCap.add(host);
    this.o.log?.warn(
      { host, maxSensorsPerHost: this.o.maxSensorsPerHost, dropped: n },
      `${host} reports more than ${this.o.maxSensorsPerHost} distinct sensors; readings of new sensors are dropped (counted in ${SENSORS_DROPPED}; logged once per host)`,
    );
  }

  /** How many distinct sensors are kept for `host`. */
  sensorCount(host: string): number {
    return this.#sensors.get(host)?.size ?? 0;
  }

  /** Latest reading per sensor, and up to `n` recent values per sensor. */
  sensorsOf(
    host: string,
    n: number,
  ): { readings: Reading[]; history: Record<string, (number | null)[]>; historyTs: Record<string, number[]> } {
    const m = this.#sensors.get(host);
    const readings: Reading[] = [];
    const history: Record<string, (number | null)[]> = {};
    const historyTs: Record<string, number[]> = {};
    for (const [name, t] of m ?? []) {
      readings.push(t.latest);
      history[name] = n > 0 ? t.history.slice(-n) : [];
      historyTs[name] = n > 0 ? t.ts.slice(-n) : [];
    }
    return { readings, history, historyTs };
  }

  event(ev: SensorEvent): void {
    this.#events.push(ev);
    if (this.#events.length > MAX_EVENTS) this.#events.shift();
  }

  events(): readonly SensorEvent[] {
    return this.#events;
  }
}
