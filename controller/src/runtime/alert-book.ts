/**
 * The alerts of the store, indexed by host so an event touches only its host's open alerts, and
 * published on presage.v1.alerts when they open or escalate.
 */
import { type Alert, type AlertFeedMessage, type NatsConnection, subjects } from "@presage/shared";
import { CONTROLLER_ALERT_PREFIX } from "../alerts.js";
import type { CachedBucket } from "../store/bucket.js";

export class AlertBook {
  /** open alert ids per host */
  readonly #open = new Map<string, Set<string>>();

  constructor(
    readonly bucket: CachedBucket<Alert>,
    readonly nc: NatsConnection,
  ) {
    for (const a of bucket.values()) this.#index(a);
  }

  #index(a: Alert): void {
    let s = this.#open.get(a.host);
    if (!s) {
      s = new Set();
      this.#open.set(a.host, s);
    }
    if (a.cleared) s.delete(a.id);
    else s.add(a.id);
  }

  /** The host's open alerts. */
  openOf(host: string): Alert[] {
    return [...(this.#open.get(host) ?? [])].map((id) => this.bucket.get(id)).filter((a): a is Alert => !!a);
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

  save(a: Alert): void {
    this.bucket.set(a.id, a);
    this.#index(a);
  }

  publish(type: "alert" | "escalation", alert: Alert): void {
    this.nc.publish(subjects.alerts, JSON.stringify({ type, alert } satisfies AlertFeedMessage));
  }
}
