/**
 * The audit trail: every decision and action as an AuditRecord on presage.v1.audit.<action>
 * (stream PRESAGE_AUDIT). Records are published in order through JetStream and retried while
 * NATS is away, so a server restart mid-evacuation leaves no hole in the story.
 */
import { DeliverPolicy, type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  type AuditRecord,
  type Logger,
  type Metrics,
  type NatsConnection,
  STREAM_AUDIT,
  subjects,
} from "@presage/shared";

const MAX_QUEUED = 50_000;

export class AuditLog {
  readonly #js: JetStreamClient;
  readonly #queue: AuditRecord[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;
  /** the latest records per host, for `presage host` */
  readonly #recent = new Map<string, AuditRecord[]>();

  constructor(
    nc: NatsConnection,
    readonly log: Logger,
    readonly metrics?: Metrics,
  ) {
    this.#js = jetstream(nc);
  }

  record(r: AuditRecord): void {
    this.log.info({ audit: r.action, host: r.host, vm: r.vm, actor: r.actor }, r.detail);
    if (r.host) {
      const list = this.#recent.get(r.host) ?? [];
      list.push(r);
      if (list.length > 50) list.shift();
      this.#recent.set(r.host, list);
    }
    if (this.#queue.length >= MAX_QUEUED) {
      this.metrics?.inc("presage_audit_dropped_total");
      this.#queue.shift();
    }
    this.#queue.push(r);
    this.#draining ??= this.#drain();
  }

  recent(host: string): AuditRecord[] {
    return [...(this.#recent.get(host) ?? [])];
  }

  async #drain(): Promise<void> {
    try {
      for (let r = this.#queue[0]; r && !this.#closed; r = this.#queue[0]) {
        try {
          await this.#js.publish(subjects.audit(r.action), JSON.stringify(r));
          this.#queue.shift();
        } catch (e) {
          this.metrics?.inc("presage_audit_retries_total");
          this.log.warn({ err: String(e) }, "audit publish failed; retrying");
          await new Promise((res) => setTimeout(res, 500));
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

  /** Wait (up to timeoutMs) for queued records to be stored. */
  async flush(timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.#queue.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
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
