/**
 * One JetStream KV bucket mirrored in memory for the leader. The leader reads from memory; `set`
 * updates memory and marks the key dirty (`delete` forgets it, purged from KV on flush); `flush` writes every dirty key with compare-and-set on
 * the last revision it saw (writes to one key are serialised and coalesced). The caller decides
 * when state becomes durable (after the audit record that explains it, before an ack). A write
 * that finds another revision means some other writer got there first: it is logged, counted and
 * the KV value wins, so a stale replica cannot overwrite a newer decision.
 */
import type { KV } from "@nats-io/kv";
import { type Check, type Logger, type Metrics, sleep, validate } from "@presage/shared";
import type { StreamWriter } from "./writer.js";

/** `deleted`: purged in memory, the purge not yet written (then the slot goes) */
type Slot<T> = { value: T; rev: number; writing: Promise<void> | null; dirty: boolean; deleted: boolean };

const SAFE_KEY = /^[-_=A-Za-z0-9]+$/;

/** KV keys allow a narrow alphabet; anything else (event ids, odd VM ids) is base64url-encoded. */
export function encodeKey(k: string): string {
  return SAFE_KEY.test(k) && !k.startsWith("x=") ? k : `x=${Buffer.from(k).toString("base64url")}`;
}
export function decodeKey(k: string): string {
  return k.startsWith("x=") ? Buffer.from(k.slice(2), "base64url").toString() : k;
}

export class ConflictError extends Error {
  constructor(key: string, detail: string) {
    super(`KV write conflict on ${key}: ${detail}`);
    this.name = "ConflictError";
  }
}

export class CachedBucket<T> {
  readonly #slots = new Map<string, Slot<T>>();
  readonly #dirty = new Set<string>();
  readonly #writing = new Set<Promise<void>>();
  #deleted = 0;
  #closed = false;
  constructor(
    readonly kv: KV,
    readonly writer: StreamWriter,
    readonly name: string,
    readonly check: Check,
    readonly log: Logger,
    readonly metrics?: Metrics,
  ) {}

  /** Read every key (validated; invalid entries are logged, counted and skipped). */
  async load(): Promise<void> {
    this.#slots.clear();
    this.#dirty.clear();
    this.#deleted = 0;
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) keys.push(k);
    for (let i = 0; i < keys.length; i += 256) {
      await Promise.all(keys.slice(i, i + 256).map((k) => this.#loadKey(k)));
    }
  }

  async #loadKey(k: string): Promise<void> {
    const e = await this.kv.get(k);
    // a purge not yet written yields to what KV holds (a conflict reloads the key)
    const old = this.#slots.get(decodeKey(k));
    if (old?.deleted) {
      this.#slots.delete(decodeKey(k));
      this.#deleted--;
    }
    if (e?.operation !== "PUT") return;
    let parsed: unknown;
    try {
      parsed = e.json();
    } catch {
      parsed = undefined;
    }
    const r = validate<T>(this.check, parsed);
    if (!r.ok) {
      this.metrics?.inc("presage_invalid_records_total", { bucket: this.name });
      this.log.warn({ bucket: this.name, key: k, error: r.error }, "skipped an invalid KV record");
      return;
    }
    this.#slots.set(decodeKey(k), { value: r.value, rev: e.revision, writing: null, dirty: false, deleted: false });
  }

  #live(key: string): Slot<T> | undefined {
    const s = this.#slots.get(key);
    return s && !s.deleted ? s : undefined;
  }
  get(key: string): T | undefined {
    return this.#live(key)?.value;
  }
  has(key: string): boolean {
    return this.#live(key) !== undefined;
  }
  get size(): number {
    return this.#slots.size - this.#deleted;
  }
  *values(): IterableIterator<T> {
    for (const s of this.#slots.values()) if (!s.deleted) yield s.value;
  }
  *entries(): IterableIterator<[string, T]> {
    for (const [k, s] of this.#slots) if (!s.deleted) yield [k, s.value];
  }

  /** Update memory now; the value reaches KV on the next `flush`. */
  set(key: string, value: T): void {
    const s = this.#slots.get(key);
    if (!s) this.#slots.set(key, { value, rev: 0, writing: null, dirty: true, deleted: false });
    else {
      if (s.deleted) this.#deleted--;
      s.value = value;
      s.dirty = true;
      s.deleted = false;
    }
    this.#dirty.add(key);
  }

  /** Forget `key` now; KV purges it (and its history) on the next `flush`. */
  delete(key: string): void {
    const s = this.#live(key);
    if (!s) return;
    s.deleted = true;
    s.dirty = true;
    this.#deleted++;
    this.#dirty.add(key);
  }

  async #drain(key: string, s: Slot<T>): Promise<void> {
    try {
      while (s.dirty) {
        s.dirty = false;
        const k = encodeKey(key);
        try {
          s.rev = s.deleted
            ? await this.writer.purge(this.name, k, s.rev)
            : await this.writer.put(this.name, k, JSON.stringify(s.value), s.rev);
        } catch (e) {
          if (!/wrong last sequence|key exists/i.test(String(e))) {
            // NATS away (restart, partition): keep the latest value and try again until it lands
            if (this.#closed) throw e;
            this.metrics?.inc("presage_kv_retries_total", { bucket: this.name });
            s.dirty = true;
            await sleep(250);
            continue;
          }
          this.metrics?.inc("presage_kv_conflicts_total", { bucket: this.name });
          this.log.error({ bucket: this.name, key, err: String(e) }, "KV write conflict: keeping the stored value");
          await this.#loadKey(encodeKey(key));
          throw new ConflictError(key, String(e));
        }
      }
    } finally {
      s.writing = null;
      if (s.deleted && !s.dirty && this.#slots.get(key) === s) {
        this.#slots.delete(key);
        this.#deleted--;
      }
    }
  }

  /** Stop retrying writes (the process is stopping or no longer leads). */
  close(): void {
    this.#closed = true;
  }

  /** Allow writes again after `close` (this replica leads again). */
  reopen(): void {
    this.#closed = false;
  }

  /** Write every dirty key and wait until all writes have landed (rejects on a conflict). */
  async flush(): Promise<void> {
    for (const key of this.#dirty) {
      const s = this.#slots.get(key);
      if (s && !s.writing) {
        const w = this.#drain(key, s);
        s.writing = w;
        this.#writing.add(w);
        void w.then(
          () => this.#writing.delete(w),
          () => this.#writing.delete(w),
        );
      }
    }
    this.#dirty.clear();
    // only the writes in flight, not every key of a large bucket
    await Promise.all([...this.#writing]);
  }
}
