/**
 * The page's live state: one server-sent-events stream (`./api/stream`) carries a fleet snapshot, then
 * changed host tiles, the status (brake, leader) and the controller's feeds (alerts, plans, migrations,
 * audit, events). Lists the feeds do not replay are read once through the ops API.
 */
import { useEffect, useState } from "preact/hooks";
import { op } from "./api";
import type { Alert, AlertFeed, AuditRecord, HostSummary, Migration, Plan, SensorEvent, Status } from "./types";

const AUDIT_KEPT = 2_000;
const FRAME_MS = 16;
/** a finished migration stays on the page this long */
const DONE_SHOWN_MS = 15_000;

export class Live {
  hosts = new Map<string, HostSummary>();
  status: Status | null = null;
  alerts = new Map<string, Alert>();
  plans = new Map<string, Plan>();
  migrations = new Map<string, Migration>();
  audit: AuditRecord[] = [];
  events: SensorEvent[] = [];
  connected = false;
  /** bumps on every change, so components re-render */
  version = 0;
  readonly #listeners = new Set<() => void>();
  #es: EventSource | null = null;

  readonly #hostListeners = new Map<string, Set<() => void>>();

  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** One tile's own updates: at once, for every change (the fleet view around it is told once a frame). */
  onHost(host: string, fn: () => void): () => void {
    const set = this.#hostListeners.get(host) ?? new Set();
    set.add(fn);
    this.#hostListeners.set(host, set);
    return () => set.delete(fn);
  }

  #hostChanged(host: string): void {
    for (const fn of this.#hostListeners.get(host) ?? []) fn();
  }

  /**
   * Tell the views, at most once per frame: the first change of a quiet spell at once, the rest of a
   * burst (a room-wide event is hundreds of messages) together at the end of the frame.
   */
  changed(): void {
    this.version++;
    if (this.#pending) return;
    const wait = this.#notifiedAt + FRAME_MS - performance.now();
    if (wait <= 0) {
      this.#notify();
      return;
    }
    this.#pending = true;
    setTimeout(() => {
      this.#pending = false;
      this.#notify();
    }, wait);
  }

  #pending = false;
  #notifiedAt = -FRAME_MS;

  #notify(): void {
    this.#notifiedAt = performance.now();
    for (const fn of this.#listeners) fn();
  }

  connect(): void {
    const es = new EventSource("./api/stream");
    this.#es = es;
    const on = <T>(name: string, fn: (v: T) => void) =>
      es.addEventListener(name, (e) => {
        fn(JSON.parse((e as MessageEvent).data) as T);
        this.changed();
      });
    on<{ hosts: HostSummary[]; status: Status }>("snapshot", (v) => {
      this.hosts = new Map(v.hosts.map((h) => [h.host, h]));
      for (const h of v.hosts) this.#hostChanged(h.host);
      this.status = v.status;
      this.connected = true;
      // for bench:dashboard: when the fleet arrived (the tiles' render is marked by the fleet view)
      performance.mark("presage:snapshot");
      void this.loadLists();
    });
    on<{ hosts: HostSummary[]; removed: string[] }>("hosts", (v) => {
      for (const h of v.hosts) {
        this.hosts.set(h.host, h);
        this.#hostChanged(h.host);
      }
      for (const h of v.removed) this.hosts.delete(h);
    });
    // this replica does not lead (any more): stop, and let the page ask again who does
    es.addEventListener("follower", () => {
      es.close();
      this.connected = false;
      this.changed();
      // a page that was live lost its leader; a page still loading learns it from its session
      if (this.hosts.size) setTimeout(() => location.reload(), 3_000);
    });
    on<Status>("status", (s) => {
      this.status = s;
    });
    on<AlertFeed>("alert", (m) => {
      if (m.type === "plan") this.plans.set(m.plan.id, m.plan);
      else this.alerts.set(m.alert.id, m.alert);
    });
    on<Migration>("migration", (m) => this.#migration(m));
    on<AuditRecord>("audit", (r) => {
      this.#transition(r);
      // acks, repairs and plan decisions change alerts and plans without a feed message: read them again
      if (r.action === "ack" || (r.action === "transition" && r.data?.to === "returning")) this.#reload("alerts");
      if (r.action.startsWith("plan.") || r.action.startsWith("maintenance.")) this.#reload("plans");
      this.audit.unshift(r);
      if (this.audit.length > AUDIT_KEPT) this.audit.pop();
    });
    on<SensorEvent>("event", (ev) => {
      this.events.unshift(ev);
      if (this.events.length > 500) this.events.pop();
    });
    es.onopen = () => {
      if (!performance.getEntriesByName("presage:stream").length) performance.mark("presage:stream");
    };
    es.onerror = () => {
      this.connected = false;
      this.changed();
      // closed for good (this replica stopped leading, or refuses the stream): the page asks again who leads
      if (es.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 3_000);
    };
  }

  /** A state change shows on its tile at once (the next tile refresh brings the rest of the summary). */
  #transition(r: AuditRecord): void {
    const to = r.data?.to;
    const h = r.host ? this.hosts.get(r.host) : undefined;
    if (r.action === "transition" && h && typeof to === "string" && h.state !== to) {
      this.hosts.set(h.host, { ...h, state: to as HostSummary["state"], since: r.ts });
      this.#hostChanged(h.host);
    }
  }

  readonly #timers = new Map<string, number>();

  /** Read one list again soon (a burst of records costs one request). */
  #reload(list: "alerts" | "plans"): void {
    if (this.#timers.has(list)) return;
    const t = window.setTimeout(async () => {
      this.#timers.delete(list);
      if (list === "alerts") {
        const ev = await op<{ alerts: Alert[] }>("events", { limit: 1_000 }).catch(() => null);
        for (const a of ev?.alerts ?? []) this.alerts.set(a.id, a);
      } else {
        const r = await op<{ plans: Plan[] }>("plans").catch(() => null);
        for (const p of r?.plans ?? []) this.plans.set(p.id, p);
      }
      this.changed();
    }, 200);
    this.#timers.set(list, t);
  }

  /** An operator's change, as the controller replied with it. */
  putAlerts(alerts: Alert[]): void {
    for (const a of alerts) this.alerts.set(a.id, a);
    this.changed();
  }

  #migration(m: Migration): void {
    this.migrations.set(m.id, m);
    if (m.status !== "queued" && m.status !== "running")
      setTimeout(() => {
        if (this.migrations.get(m.id) === m) {
          this.migrations.delete(m.id);
          this.changed();
        }
      }, DONE_SHOWN_MS);
  }

  /** What the feeds do not replay: open alerts, migrations in flight, plans, the recent audit trail. */
  async loadLists(): Promise<void> {
    const [ev, mig, plans, audit] = await Promise.all([
      op<{ alerts: Alert[] }>("events", { limit: 1_000 }),
      op<{ migrations: Migration[] }>("migrations", { active: true }),
      op<{ plans: Plan[] }>("plans"),
      op<{ records: AuditRecord[] }>("audit", { limit: 1_000 }),
    ]);
    for (const a of ev.alerts) if (!this.alerts.has(a.id)) this.alerts.set(a.id, a);
    for (const m of mig.migrations) if (!this.migrations.has(m.id)) this.migrations.set(m.id, m);
    for (const p of plans.plans) if (!this.plans.has(p.id)) this.plans.set(p.id, p);
    const seen = new Set(this.audit.map((r) => `${r.ts}|${r.action}|${r.host}|${r.detail}`));
    const older = audit.records.filter((r) => !seen.has(`${r.ts}|${r.action}|${r.host}|${r.detail}`));
    this.audit = [...this.audit, ...older].sort((a, b) => b.ts - a.ts).slice(0, AUDIT_KEPT);
    this.changed();
  }

  close(): void {
    this.#es?.close();
  }
}

export const live = new Live();

/** Re-render the calling component whenever the live state changes. */
export function useLive(): Live {
  const [, set] = useState(0);
  useEffect(() => live.subscribe(() => set(live.version)), []);
  return live;
}
