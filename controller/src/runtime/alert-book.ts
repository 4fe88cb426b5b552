/**
 * The alerts of the store, indexed by host so an event touches only its host's open alerts, and
 * published on presage.v1.alerts when they open or escalate.
 *
 * Each host keeps at most `maxPerHost` alerts, open and cleared, so a flapping or hostile agent
 * cannot grow the controller without bound: a new alert beyond the cap first retires the host's
 * oldest cleared alert (purged from KV; the alerts feed and the audit trail keep the history), and
 * when every alert the host has is still open, the new agent alert is not stored. Both are counted
 * in `presage_alerts_dropped_total` (reason `retired` / `host_cap`). The controller's own alerts
 * (lost heartbeats, capacity, brake) are always stored.
 */
import {
  type Alert,
  type AlertFeedMessage,
  type Logger,
  type Metrics,
  type NatsConnection,
  subjects,
} from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX } from "../alerts.js";
import type { CachedBucket } from "../store/bucket.js";

type HostAlerts = { open: Set<string>; cleared: Set<string> };

export type AlertBookOptions = { maxPerHost: number; metrics: Metrics; log: Logger };

export class AlertBook {
  /** open and cleared alert ids per host; `cleared` in the order they cleared, oldest first */
  readonly #byHost = new Map<string, HostAlerts>();
  /** hosts already warned about since their last stored alert (one log line, not one per event) */
  readonly #warned = new Set<string>();

  constructor(
    readonly bucket: CachedBucket<Alert>,
    readonly nc: NatsConnection,
    readonly opts: AlertBookOptions,
  ) {
    const all = [...bucket.values()].sort((a, b) => a.lastEventAt - b.lastEventAt);
    for (const a of all) this.#index(a);
  }

  #of(host: string): HostAlerts {
    let s = this.#byHost.get(host);
    if (!s) {
      s = { open: new Set(), cleared: new Set() };
      this.#byHost.set(host, s);
    }
    return s;
  }

  #index(a: Alert): void {
    const s = this.#of(a.host);
    s.open.delete(a.id);
    s.cleared.delete(a.id);
    (a.cleared ? s.cleared : s.open).add(a.id);
  }

  /** The host's open alerts. */
  openOf(host: string): Alert[] {
    return [...(this.#byHost.get(host)?.open ?? [])].map((id) => this.bucket.get(id)).filter((a): a is Alert => !!a);
  }

  /** The lookups alertsForEvent needs, limited to one host's open alerts. */
  indexFor(host: string): ReadonlyMap<string, Alert> {
    const open = new Map(this.openOf(host).map((a) => [a.id, a]));
    return {
      get: (id: string) => this.bucket.get(id),
      has: (id: string) => this.bucket.has(id),
      values: () => open.values(),
    } as unknown as ReadonlyMap<string, Alert>;
  }

  /** Open alerts the host's agent raised (not the controller's own). */
  openAgentAlerts(host: string): number {
    return this.openOf(host).filter((a) => !a.id.startsWith(CONTROLLER_ALERT_PREFIX)).length;
  }

  /** Store `a`; false when the host's cap left no room for a new agent alert (counted, not stored). */
  save(a: Alert): boolean {
    if (!this.bucket.has(a.id) && !this.#makeRoom(a)) return false;
    this.bucket.set(a.id, a);
    this.#index(a);
    this.#warned.delete(a.host);
    return true;
  }

  /** Room for one more alert of `a.host`: retire its oldest cleared alert if at the cap. */
  #makeRoom(a: Alert): boolean {
    const s = this.#of(a.host);
    if (s.open.size + s.cleared.size < this.opts.maxPerHost) return true;
    const oldest = s.cleared.values().next();
    if (!oldest.done) {
      s.cleared.delete(oldest.value);
      this.bucket.delete(oldest.value);
      this.opts.metrics.inc("presage_alerts_dropped_total", { reason: "retired" });
      return true;
    }
    if (a.id.startsWith(CONTROLLER_ALERT_PREFIX)) return true;
    this.opts.metrics.inc("presage_alerts_dropped_total", { reason: "host_cap" });
    if (!this.#warned.has(a.host)) {
      this.#warned.add(a.host);
      this.opts.log.warn(
        { host: a.host, alert: a.id, cap: this.opts.maxPerHost },
        "host has as many open alerts as alerts.maxPerHost allows; new alerts are counted, not stored",
      );
    }
    return false;
  }

  publish(type: "alert" | "escalation", alert: Alert): void {
    this.nc.publish(subjects.alerts, JSON.stringify({ type, alert } satisfies AlertFeedMessage));
  }
}
