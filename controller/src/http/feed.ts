/**
 * The dashboard's live feed: the controller's NATS feeds (the same subjects and checks as
 * `presage watch`) fanned out to server-sent-events clients, plus fleet tiles: after any feed message
 * (and every few seconds, for heartbeats) the host summaries are read again and only the hosts that
 * changed are sent. Readings go only to the clients that watch that host.
 */
import {
  batchCheck,
  type Check,
  ErrorCode,
  type HostSummary,
  hostOfSubject,
  LIVE_FEEDS,
  type Logger,
  type NatsConnection,
  OpsError,
  type OpsReplies,
  parseJson,
  type Subscription,
  subjects,
} from "@presage/shared";
import type { SseClient } from "./sse.js";

export type FleetReader = {
  hosts(): Promise<HostSummary[]>;
  status(): Promise<OpsReplies["status"]>;
};

export type FeedHubOptions = {
  nc: NatsConnection;
  fleet: FleetReader;
  log: Logger;
  /**
   * a feed message is followed by a tile refresh this soon, coalescing a burst (an evacuation is a stream of
   * migration progress); state changes reach the page at once anyway, as audit records
   */
  debounceMs?: number;
  /** and tiles refresh at least this often while anyone watches */
  refreshMs?: number;
  /** counted skips of malformed feed messages */
  onInvalid?: (subject: string) => void;
};

export class FeedHub {
  readonly #clients = new Set<SseClient>();
  readonly #subs: Subscription[] = [];
  /** readings subscriptions, one per host someone watches (no traffic for hosts nobody looks at) */
  readonly #readingSubs = new Map<string, Subscription>();
  /** host -> its summary as last sent, to send only what changed */
  readonly #sent = new Map<string, string>();
  #status = "";
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  readonly #interval: NodeJS.Timeout;

  constructor(readonly o: FeedHubOptions) {
    // the SSE event is the feed's kind (event, alert, migration, audit)
    for (const { kind, subject, check } of LIVE_FEEDS)
      this.#subs.push(o.nc.subscribe(subject, { callback: (_e, m) => this.#feed(kind, check, m.subject, m.string()) }));
    this.#interval = setInterval(() => this.#schedule(0), o.refreshMs ?? 3_000);
    this.#interval.unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Register a client and send it the whole fleet first. */
  async add(c: SseClient): Promise<void> {
    this.#clients.add(c);
    if (c.host) {
      if (!this.#readingSubs.has(c.host))
        this.#readingSubs.set(
          c.host,
          this.o.nc.subscribe(subjects.readings(c.host), {
            callback: (_e, m) => this.#readings(m.subject, m.string()),
          }),
        );
      return;
    }
    const [hosts, status] = await Promise.all([this.o.fleet.hosts(), this.o.fleet.status()]);
    c.send("snapshot", JSON.stringify({ hosts, status }));
  }

  remove(c: SseClient): void {
    this.#clients.delete(c);
    const host = c.host;
    if (host && ![...this.#clients].some((x) => x.host === host)) {
      this.#readingSubs.get(host)?.unsubscribe();
      this.#readingSubs.delete(host);
    }
  }

  #fleetClients(): SseClient[] {
    return [...this.#clients].filter((c) => c.host === null);
  }

  #feed(event: string, check: Check, subject: string, text: string): void {
    const r = parseJson(check, text);
    if (!r.ok) {
      this.o.onInvalid?.(subject);
      return;
    }
    for (const c of this.#fleetClients()) c.send(event, text);
    for (const c of this.#clients) if (c.host && concerns(r.value, c.host)) c.send(event, text);
    this.#schedule(this.o.debounceMs ?? 200);
  }

  #readings(subject: string, text: string): void {
    const host = hostOfSubject(subject);
    const watchers = [...this.#clients].filter((c) => c.host === host);
    if (!watchers.length) return;
    if (!parseJson(batchCheck, text).ok) {
      this.o.onInvalid?.(subject);
      return;
    }
    for (const c of watchers) c.send("readings", text);
  }

  #schedule(ms: number): void {
    if (this.#timer || this.#fleetClients().length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#refresh();
    }, ms);
  }

  /** One refresh at a time; a request during one runs once more after it. */
  async #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = this.#diff()
      .catch((e) => {
        // this replica stopped leading: its pages reconnect and hear who leads now
        if (e instanceof OpsError && e.code === ErrorCode.NotLeader) this.#closeClients();
        else this.o.log.debug({ err: String(e) }, "dashboard refresh skipped");
      })
      .finally(() => {
        this.#refreshing = null;
        if (this.#again) {
          this.#again = false;
          this.#schedule(0);
        }
      });
    await this.#refreshing;
  }

  async #diff(): Promise<void> {
    const [hosts, status] = await Promise.all([this.o.fleet.hosts(), this.o.fleet.status()]);
    const changed: HostSummary[] = [];
    const seen = new Set<string>();
    for (const h of hosts) {
      seen.add(h.host);
      const text = JSON.stringify(h);
      if (this.#sent.get(h.host) !== text) changed.push(h);
      this.#sent.set(h.host, text);
    }
    const removed = [...this.#sent.keys()].filter((h) => !seen.has(h));
    for (const h of removed) this.#sent.delete(h);
    const st = JSON.stringify(status);
    const clients = this.#fleetClients();
    if (changed.length || removed.length) {
      const msg = JSON.stringify({ hosts: changed, removed });
      for (const c of clients) c.send("hosts", msg);
    }
    if (st !== this.#status) for (const c of clients) c.send("status", st);
    this.#status = st;
  }

  #closeClients(): void {
    for (const c of [...this.#clients]) {
      this.remove(c);
      c.close();
    }
  }

  close(): void {
    clearInterval(this.#interval);
    if (this.#timer) clearTimeout(this.#timer);
    for (const s of [...this.#subs, ...this.#readingSubs.values()]) s.unsubscribe();
    this.#readingSubs.clear();
    for (const c of this.#clients) c.close();
    this.#clients.clear();
  }
}

/** Whether a feed message is about `host` (an event, audit record, migration or alert of it). */
function concerns(v: unknown, host: string): boolean {
  const o = v as { host?: string; from?: string; to?: string; alert?: { host?: string }; plan?: { host?: string } };
  return o.host === host || o.from === host || o.to === host || o.alert?.host === host || o.plan?.host === host;
}
