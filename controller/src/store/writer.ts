/**
 * Writes to JetStream streams, pipelined: each write is a plain publish with a reply subject under
 * one shared inbox, so a thousand writes cost a thousand messages, not a thousand request objects,
 * timers and error stacks (the client's request path dominated ingest profiles). The stream's ack
 * carries the new sequence, or an error such as `wrong last sequence: 7` on a lost race. KV writes
 * (`put`, `purge`) are compare-and-set on `$KV.<bucket>.<key>`; the audit trail publishes records
 * with their dedupe id (`publish`).
 */
import { createInbox, headers, type NatsConnection } from "@nats-io/transport-node";

type Waiter = { resolve: (rev: number) => void; reject: (e: Error) => void; deadline: number };

const TIMEOUT_MS = 10_000;

export class StreamWriter {
  readonly #nc: NatsConnection;
  readonly #inbox = createInbox();
  readonly #waiting = new Map<string, Waiter>();
  #seq = 0;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    nc.subscribe(`${this.#inbox}.*`, {
      callback: (_err, m) => {
        const w = this.#waiting.get(m.subject);
        if (!w) return;
        this.#waiting.delete(m.subject);
        let ack: { seq?: number; error?: { description?: string } };
        try {
          ack = m.json();
        } catch {
          ack = { error: { description: `bad ack: ${m.string()}` } };
        }
        if (ack.error || typeof ack.seq !== "number")
          w.reject(new Error(ack.error?.description ?? "no sequence in the ack"));
        else w.resolve(ack.seq);
      },
    });
  }

  /** Write `value` under `key` if its last revision is `rev` (0: the key must not exist). */
  put(bucket: string, key: string, value: string, rev: number): Promise<number> {
    return this.#send(bucket, key, value, rev, false);
  }

  /** Purge `key` (its history too, leaving one marker) if its last revision is `rev`. */
  purge(bucket: string, key: string, rev: number): Promise<number> {
    return this.#send(bucket, key, "", rev, true);
  }

  #send(bucket: string, key: string, value: string, rev: number, purge: boolean): Promise<number> {
    const hdrs: Record<string, string> = { "Nats-Expected-Last-Subject-Sequence": String(rev) };
    if (purge) {
      hdrs["KV-Operation"] = "PURGE";
      hdrs["Nats-Rollup"] = "sub";
    }
    return this.publish(`$KV.${bucket}.${key}`, value, hdrs);
  }

  /** Publish `body` to a stream's subject with these headers; resolves to its stream sequence. */
  publish(subject: string, body: string, hdrs: Readonly<Record<string, string>> = {}): Promise<number> {
    const reply = `${this.#inbox}.${++this.#seq}`;
    const h = headers();
    for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    return new Promise((resolve, reject) => {
      this.#waiting.set(reply, { resolve, reject, deadline: Date.now() + TIMEOUT_MS });
      this.#sweeper ??= setInterval(() => this.#sweep(), 1_000);
      try {
        this.#nc.publish(subject, body, { reply, headers: h });
      } catch (e) {
        this.#waiting.delete(reply);
        reject(e as Error);
      }
    });
  }

  #sweep(): void {
    const now = Date.now();
    for (const [k, w] of this.#waiting)
      if (w.deadline <= now) {
        this.#waiting.delete(k);
        w.reject(new Error("KV write timed out"));
      }
    if (this.#waiting.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }
}
