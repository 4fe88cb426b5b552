/**
 * What agents report, kept in memory: the last heartbeat of each host (and since when it has
 * been healthy, for the return grace period), the latest readings with a short history per
 * sensor (for `presage host` sparklines) and the recent events. Nothing here is durable: it is
 * rebuilt from the live streams after a restart.
 */
import type { Heartbeat, Reading, ReadingBatch, SensorEvent } from "@presage/shared";
import type { HeartbeatInfo } from "./reconcile.js";

type SensorTrack = { latest: Reading; history: (number | null)[] };

const MAX_EVENTS = 2_000;

export class Telemetry {
  readonly #hb = new Map<string, { hb: Heartbeat; info: HeartbeatInfo }>();
  readonly #sensors = new Map<string, Map<string, SensorTrack>>();
  readonly #events: SensorEvent[] = [];

  constructor(readonly historyLength: number) {}

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
    for (const r of batch.readings) {
      if (r.host !== batch.host) continue;
      const t = m.get(r.sensor) ?? { latest: r, history: [] };
      t.latest = r;
      t.history.push(r.value);
      if (t.history.length > this.historyLength) t.history.shift();
      m.set(r.sensor, t);
    }
  }

  /** Latest reading per sensor, and up to `n` recent values per sensor. */
  sensorsOf(host: string, n: number): { readings: Reading[]; history: Record<string, (number | null)[]> } {
    const m = this.#sensors.get(host);
    const readings: Reading[] = [];
    const history: Record<string, (number | null)[]> = {};
    for (const [name, t] of m ?? []) {
      readings.push(t.latest);
      history[name] = n > 0 ? t.history.slice(-n) : [];
    }
    return { readings, history };
  }

  event(ev: SensorEvent): void {
    this.#events.push(ev);
    if (this.#events.length > MAX_EVENTS) this.#events.shift();
  }

  events(): readonly SensorEvent[] {
    return this.#events;
  }
}
