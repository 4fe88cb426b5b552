/**
 * The event source: the leader's durable JetStream consumer on PRESAGE_EVENTS, read with the
 * client's long-lived `consume()` (its own pull windows, flow control and idle heartbeats, so a
 * slow server or a missed heartbeat re-pulls instead of ending the read). Messages are applied in
 * memory as they come and cut into batches; each batch is acked only once its state is stored
 * (AckPipeline). On an error the consumer is reopened after a jittered, growing back-off.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { type Alert, decodeMessage, eventCheck, type SensorEvent, STREAM_EVENTS, subjects } from "@presage/shared";
import { AckPipeline } from "../ack-pipeline.js";
import { ingestEvent, skewRefusal } from "../ingest.js";
import type { LeaderContext } from "../runtime/context.js";
import { ACTOR } from "../runtime/context.js";
import { knownHost } from "./agents.js";

export const EVENTS_CONSUMER = "presage-controller";
/** messages the client keeps pulled ahead, per persisted batch, and at most consumed ahead of what is stored */
const PULL_WINDOW = 2_000;
const INGEST_BATCH = 1_000;
const MAX_UNACKED = 8_000;
/** reopen back-off: doubles from the base up to the cap, each wait jittered down by up to half */
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 8_000;

/** Wait before the n-th consecutive restart (n >= 1); `rnd` in [0, 1). */
export function backoffMs(n: number, rnd: number): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, n - 1));
  return Math.round(full * (0.5 + rnd / 2));
}

export class EventSource {
  #messages: ConsumerMessages | null = null;

  constructor(readonly ctx: LeaderContext) {}

  /** Consume until the term ends. */
  async run(): Promise<void> {
    const { ctx } = this;
    let failures = 0;
    while (ctx.live()) {
      try {
        const c = await this.#open();
        const messages = await c.consume({ max_messages: PULL_WINDOW });
        this.#messages = messages;
        if (!ctx.live()) messages.stop();
        await this.#drain(messages[Symbol.asyncIterator](), new AckPipeline(), () => {
          failures = 0;
        });
      } catch (e) {
        ctx.deps.log.warn({ err: String(e) }, "event consumer stopped; restarting");
      }
      if (!ctx.live()) break;
      failures++;
      ctx.deps.metrics.inc("presage_event_consumer_restarts_total");
      await ctx.deps.clock.sleep(backoffMs(failures, Math.random())).catch(() => {});
    }
  }

  stop(): void {
    this.#messages?.stop();
  }

  /**
   * The durable consumer, created without a filter subject: PRESAGE_EVENTS holds only events, and
   * a wildcard filter makes the server count pending messages subject by subject on every
   * CONSUMER.INFO, which stalls deliveries while a monitoring tool polls. A consumer an older
   * controller made with the filter is updated, or, where the server cannot update a filter (2.9),
   * made again from its ack floor: at worst some acked events come again, which ingest ignores.
   */
  async #open() {
    const { nc, log } = this.ctx.deps;
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER).catch(() => null);
    const base = {
      durable_name: EVENTS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000_000_000,
      max_ack_pending: 20_000,
    };
    if (!info) {
      await jsm.consumers.add(STREAM_EVENTS, { ...base, deliver_policy: DeliverPolicy.All });
    } else if (info.config.filter_subject === subjects.allEvents) {
      const updated = await jsm.consumers
        .update(STREAM_EVENTS, EVENTS_CONSUMER, { filter_subject: "" })
        .then(() => true)
        .catch(() => false);
      if (!updated) {
        const from = info.ack_floor.stream_seq + 1;
        log.info({ from }, "re-creating the event consumer without its filter subject, from its ack floor");
        await jsm.consumers.delete(STREAM_EVENTS, EVENTS_CONSUMER);
        await jsm.consumers.add(STREAM_EVENTS, {
          ...base,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from,
        });
      }
    }
    return jetstream(nc).consumers.get(STREAM_EVENTS, EVENTS_CONSUMER);
  }

  /**
   * Apply messages in memory as they come and cut them into batches (1,000 messages, or whatever
   * arrived before the stream paused). Each batch's state is written in the background while the
   * next batch is applied; its messages are acked only once its writes (and every earlier batch's)
   * have landed, so an unstored event is never acked and comes back to the next consumer or leader.
   * The alerts a batch opens go out on presage.v1.alerts then too: announced once stored, and in one
   * socket write per batch rather than one per event.
   */
  async #drain(itr: AsyncIterator<JsMsg>, acks: AckPipeline, onAcked: () => void): Promise<void> {
    const { ctx } = this;
    let pending: JsMsg[] = [];
    let opened: Alert[] = [];
    let idle: Promise<null> | null = null;
    const commit = () => {
      const announce = opened;
      if (pending.length && ctx.live())
        acks.commit(pending, ctx.persist(), () => {
          for (const a of announce) ctx.alerts.publish("alert", a);
          onAcked();
          ctx.wake();
        });
      pending = [];
      opened = [];
      idle = null;
    };
    let next = itr.next();
    for (;;) {
      if (acks.failed) throw acks.failed;
      // a message already waiting wins the race against an idle timer that has fired
      const r = idle ? await Promise.race([next, idle]) : await next;
      if (r === null || r.done || pending.length >= INGEST_BATCH) commit();
      // back-pressure: do not run far ahead of what is stored
      if (acks.unacked >= MAX_UNACKED) await acks.below(MAX_UNACKED);
      if (r === null) continue;
      if (r.done || !ctx.live()) return; // unacked ones are redelivered
      opened.push(...applyEvent(ctx, r.value));
      pending.push(r.value);
      // a 2 ms batching window (real time: it only groups what the server already sent)
      idle ??= new Promise<null>((res) => setTimeout(() => res(null), 2));
      next = itr.next();
    }
  }
}

/**
 * Decode one event, refuse what is malformed, misaddressed or stamped off the clock, then ingest it.
 * Returns the alerts it opened (stored in memory), for the caller to announce once they are in KV.
 */
export function applyEvent(ctx: LeaderContext, m: JsMsg): Alert[] {
  const { log, metrics, telemetry } = ctx.deps;
  const ev = decodeMessage<SensorEvent>(eventCheck, m.data, m.subject, { log, metrics });
  if (!ev || !knownHost(ctx.deps, ctx, ev.host, m.subject)) return [];
  const now = ctx.now();
  const refused = skewRefusal(ev.ts, now, ctx.cfg.events);
  if (refused) {
    metrics.inc("presage_events_refused_total", { reason: "clock_skew" });
    log.warn({ host: ev.host, event: ev.id, ts: ev.ts, now }, `refused an event ${refused}`);
    return [];
  }
  metrics.inc("presage_events_total", { severity: ev.severity });
  telemetry.event(ev);
  const out = ingestEvent(ev, ctx.alerts.indexFor(ev.host), now);
  const opened = new Set(out.opened.map((a) => a.id));
  const stored = out.alerts.filter((a) => ctx.alerts.save(a));
  const rec = out.trigger && ctx.store.hosts.get(ev.host);
  if (out.trigger && rec) ctx.transition(rec, out.trigger, ev.reason, ACTOR, out.extra);
  return stored.filter((a) => opened.has(a.id));
}
