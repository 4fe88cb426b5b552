/**
 * The audit trail: every decision and action as an AuditRecord on presage.v1.audit.<action>
 * (stream PRESAGE_AUDIT). Records are published in order through JetStream and retried while
 * NATS is away, so a server restart mid-evacuation leaves no hole in the story.
 */
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  type AuditRecord,
  type Logger,
  type Metrics,
  type NatsConnection,
  STREAM_AUDIT,
  sleep,
  subjects,
} from "@presage/shared";
import { StreamWriter } from "./store/writer.js";

const MAX_QUEUED = 50_000;
const WINDOW = 4_096;
const MAX_REMEMBERED = 2_000;

export class AuditLog {
  readonly #writer: StreamWriter;
  readonly #queue: { r: AuditRecord; id: string | undefined }[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;
  /** the latest records per host, for `presage host` */
  readonly #recent = new Map<string, AuditRecord[]>();
  /** the latest records of the whole fleet, for the dashboard's audit trail */
  readonly #all: AuditRecord[] = [];

  constructor(
    nc: NatsConnection,
    readonly log: Logger,
    readonly metrics?: Metrics,
  ) {
    this.#writer = new StreamWriter(nc);
  }

  /**
   * Queue a record. `dedupeId` names the decision: when a restarted controller takes the same
   * decision again (its state change never reached KV), JetStream drops the repeat.
   */
  record(r: AuditRecord, dedupeId?: string): void {
    this.log.info({ audit: r.action, host: r.host, vm: r.vm, actor: r.actor }, r.detail);
    if (r.host) {
      const list = this.#recent.get(r.host) ?? [];
      list.push(r);
      if (list.length > 50) list.shift();
      this.#recent.set(r.host, list);
    }
    this.#all.push(r);
    if (this.#all.length > MAX_REMEMBERED) this.#all.shift();
    if (this.#queue.length >= MAX_QUEUED) {
      this.metrics?.inc("presage_audit_dropped_total");
      this.#queue.shift();
    }
    this.#queue.push({ r, id: dedupeId });
    this.#draining ??= this.#drain();
  }

  recent(host: string): AuditRecord[] {
    return [...(this.#recent.get(host) ?? [])];
  }

  /** The latest records this replica recorded (any host), oldest first. */
  latest(): readonly AuditRecord[] {
    return this.#all;
  }

  /**
   * Publish in windows of WINDOW records: one connection keeps them in order in the stream, and a
   * window costs one round trip instead of one per record. The window takes all an ingest burst
   * queues (hundreds of transitions per stored batch), so a batch waits one round trip for its
   * records, not one per 256 of them. A failed record and all after it are
   * retried (their msgIDs make a repeat harmless).
   */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const window = this.#queue.slice(0, WINDOW);
        const results = await Promise.allSettled(
          window.map((q) =>
            this.#writer.publish(subjects.audit(q.r.action), JSON.stringify(q.r), q.id ? { "Nats-Msg-Id": q.id } : {}),
          ),
        );
        const ok = results.findIndex((r) => r.status === "rejected");
        this.#queue.splice(0, ok < 0 ? window.length : ok);
        if (ok >= 0) {
          this.metrics?.inc("presage_audit_retries_total");
          this.log.warn(
            { err: String((results[ok] as PromiseRejectedResult).reason) },
            "audit publish failed; retrying",
          );
          await sleep(500);
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  /** Stop retrying (the connection is going away); what is still queued is logged only. */
  close(): void {
    this.#closed = true;
  }

  /** Resolve once every queued record is stored (or the log is closed); waits out NATS outages. */
  async drained(): Promise<void> {
    while (this.#draining && !this.#closed) await this.#draining;
  }

  /** Like drained, but gives up after timeoutMs. */
  async flush(timeoutMs = 5_000): Promise<void> {
    await Promise.race([this.drained(), sleep(timeoutMs)]);
  }
}

/** The whole stored audit trail, oldest first (tests, post-mortems). */
export async function readAuditTrail(nc: NatsConnection): Promise<AuditRecord[]> {
  const info = await (await jetstreamManager(nc)).streams.info(STREAM_AUDIT);
  const n = info.state.messages;
  const out: AuditRecord[] = [];
  if (n === 0) return out;
  const c = await jetstream(nc).consumers.get(STREAM_AUDIT, { deliver_policy: DeliverPolicy.All });
  while (out.length < n) {
    const m = await c.next({ expires: 2_000 });
    if (!m) break;
    out.push(m.json<AuditRecord>());
  }
  return out;
}
