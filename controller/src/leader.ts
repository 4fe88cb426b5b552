/**
 * Leader election over a KV lease: key `leader` in presage-control holds { holder, expiresAt }.
 * The holder renews every ttl/3 with compare-and-set; anyone may take an expired lease (CAS again,
 * so only one wins). A leader whose renewal loses the compare-and-set, or that cannot renew before its
 * own expiry, steps down at once: it stops acting before a follower can take over. Lease times are wall-clock
 * (all replicas must agree on them), not the controller's possibly accelerated clock.
 */
import type { KV } from "@nats-io/kv";
import { type Lease, type Logger, leaseCheck, validate } from "@presage/shared";

const KEY = "leader";

export type LeaderOptions = {
  name: string;
  ttlMs: number;
  log: Logger;
  onChange: (leader: boolean) => void;
  now?: () => number;
};

export class LeaderElection {
  #leader = false;
  #rev = 0;
  #expiresAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #stepping: Promise<void> = Promise.resolve();
  /** when the lease another replica holds expires, as last read */
  #otherUntil = 0;
  /** who held that lease */
  #otherHolder: string | null = null;
  readonly #now: () => number;

  constructor(
    readonly kv: KV,
    readonly o: LeaderOptions,
  ) {
    this.#now = o.now ?? Date.now;
  }

  get leader(): boolean {
    return this.#leader;
  }

  /**
   * Leader with a lease that has not expired by the wall clock. A replica that was frozen
   * (SIGSTOP, a long GC pause) answers false at once when it wakes, before its timer runs.
   */
  holdsLease(): boolean {
    return this.#leader && this.#now() < this.#expiresAt;
  }

  /** The lease holder as last read: this replica while it leads, null when no live lease is known. */
  holder(): string | null {
    if (this.holdsLease()) return this.o.name;
    return this.otherHoldsLease() ? this.#otherHolder : null;
  }

  /** Another replica held a lease that has not expired yet, as last read. */
  otherHoldsLease(): boolean {
    return !this.#leader && this.#now() < this.#otherUntil;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#stepping = this.#step();
    await this.#stepping;
  }

  async #step(): Promise<void> {
    if (this.#stopped) return;
    let retrySoon = false;
    try {
      if (this.#leader) await this.#renew();
      else await this.#tryAcquire();
    } catch (e) {
      // a lost compare-and-set means another replica holds the lease: step down. Anything else (a timeout, the
      // moment JetStream needs after failing over to another cluster node) is retried soon while the lease
      // lasts: holdsLease() stops the leader acting at its expiry whatever happens here
      if (this.#leader && (isConflict(e) || this.#now() >= this.#expiresAt))
        this.#setLeader(false, `lease renewal failed: ${String(e)}`);
      else if (this.#leader) retrySoon = true;
    }
    if (this.#leader && this.#now() >= this.#expiresAt) this.#setLeader(false, "lease expired before renewal");
    if (!this.#stopped)
      this.#timer = setTimeout(
        () => {
          this.#stepping = this.#step();
        },
        retrySoon ? Math.max(100, this.o.ttlMs / 10) : Math.max(100, this.o.ttlMs / 3),
      );
  }

  async #renew(): Promise<void> {
    const lease: Lease = { holder: this.o.name, expiresAt: this.#now() + this.o.ttlMs, acquiredAt: this.#now() };
    this.#rev = await this.kv.update(KEY, JSON.stringify(lease), this.#rev);
    this.#expiresAt = lease.expiresAt;
  }

  async #tryAcquire(): Promise<void> {
    const e = await this.kv.get(KEY);
    const now = this.#now();
    const lease: Lease = { holder: this.o.name, expiresAt: now + this.o.ttlMs, acquiredAt: now };
    if (e?.operation !== "PUT") {
      this.#rev = await this.kv.create(KEY, JSON.stringify(lease));
    } else {
      const cur = validate<Lease>(leaseCheck, safeJson(e.string()));
      if (cur.ok && cur.value.expiresAt > now && cur.value.holder !== this.o.name) {
        this.#otherUntil = cur.value.expiresAt;
        this.#otherHolder = cur.value.holder;
        return;
      }
      this.#rev = await this.kv.update(KEY, JSON.stringify(lease), e.revision);
    }
    this.#expiresAt = lease.expiresAt;
    this.#setLeader(true, "lease acquired");
  }

  #setLeader(v: boolean, why: string): void {
    if (this.#leader === v) return;
    this.#leader = v;
    this.o.log.warn({ leader: v, holder: this.o.name }, `leadership ${v ? "acquired" : "lost"}: ${why}`);
    this.o.onChange(v);
  }

  /** Stop campaigning; a leader releases its lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#stepping; // a renewal in flight would otherwise outlive the release
    if (this.#leader) {
      const released: Lease = { holder: this.o.name, expiresAt: 0, acquiredAt: 0 };
      await this.kv.update(KEY, JSON.stringify(released), this.#rev).catch(() => {});
      this.#setLeader(false, "stopped");
    }
  }
}

/** The server refused the compare-and-set: the key moved on (another replica wrote the lease). */
function isConflict(e: unknown): boolean {
  return /wrong last sequence/i.test(String(e));
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
