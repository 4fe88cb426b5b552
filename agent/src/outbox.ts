/**
 * Events go to JetStream with msgID = event id, so a retry after a lost ack is deduplicated by the
 * stream. While NATS is away they wait here in order and are retried; a publish failure never
 * throws into the agent. Retries use real time: an outage is wall-clock, whatever the agent's clock.
 */
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { type Logger, type Metrics, type NatsConnection, type SensorEvent, subjects } from "@presage/shared";

export type OutboxOptions = {
  log: Logger;
  metrics: Metrics;
  retryMs?: number;
  publishTimeoutMs?: number;
  max?: number;
};

export class EventOutbox {
  #queue: SensorEvent[] = [];
  #js: JetStreamClient;
  #running: Promise<void> | null = null;
  #closed = false;
  #timer: { wake: () => void } | null = null;

  constructor(
    nc: NatsConnection,
    readonly o: OutboxOptions,
  ) {
    this.#js = jetstream(nc);
  }

  get pending(): number {
    return this.#queue.length;
  }

  push(e: SensorEvent): void {
    const max = this.o.max ?? 100_000;
    if (this.#queue.length >= max) {
      // bounded memory in a very long outage: drop the oldest informational event first, else the oldest
      const i = this.#queue.findIndex((q) => q.severity === "info");
      const [dropped] = this.#queue.splice(Math.max(i, 0), 1);
      this.o.metrics.inc("presage_agent_events_dropped_total");
      this.o.log.error({ event: dropped?.id }, "event outbox full; dropped an event");
    }
    this.#queue.push(e);
    this.o.metrics.set("presage_agent_events_pending", this.#queue.length);
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
      if (this.#queue.length && !this.#closed) this.#running ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length && !this.#closed) {
      const e = this.#queue[0] as SensorEvent;
      try {
        await this.#js.publish(subjects.events(e.host), JSON.stringify(e), {
          msgID: e.id,
          timeout: this.o.publishTimeoutMs ?? 5_000,
        });
        this.#queue.shift();
        this.o.metrics.inc("presage_agent_events_published_total", { severity: e.severity });
        this.o.metrics.set("presage_agent_events_pending", this.#queue.length);
      } catch (err) {
        this.o.metrics.inc("presage_agent_event_publish_retries_total");
        this.o.log.warn(
          { event: e.id, pending: this.#queue.length, err: String(err) },
          "event publish failed; will retry",
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.o.retryMs ?? 1_000);
          this.#timer = {
            wake: () => {
              clearTimeout(t);
              resolve();
            },
          };
        });
        this.#timer = null;
      }
    }
  }

  /** Wait up to `ms` for queued events to be published, then stop retrying. */
  async close(ms = 2_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#queue.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.#closed = true;
    this.#timer?.wake();
    await this.#running;
    if (this.#queue.length) this.o.log.warn({ pending: this.#queue.length }, "agent stopped with unpublished events");
  }
}
