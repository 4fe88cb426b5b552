/** JetStream resources both sides rely on; creating them is idempotent so either side may start first. */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAM_AUDIT, STREAM_EVENTS, subjects } from "./subjects.js";

export type StreamLimits = { maxAgeMs?: number; maxBytes?: number };

const DAY_MS = 24 * 3600 * 1000;

export async function ensureStreams(nc: NatsConnection, limits: StreamLimits = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const maxAge = (limits.maxAgeMs ?? 30 * DAY_MS) * 1_000_000; // nanoseconds
  const want = [
    { name: STREAM_EVENTS, subjects: [subjects.allEvents] },
    { name: STREAM_AUDIT, subjects: [subjects.allAudit] },
  ];
  for (const s of want) {
    try {
      await jsm.streams.info(s.name);
    } catch {
      try {
        await jsm.streams.add({
          name: s.name,
          subjects: s.subjects,
          max_age: maxAge,
          max_bytes: limits.maxBytes ?? -1,
          duplicate_window: 2 * 60 * 1_000_000_000,
        });
      } catch (e) {
        // another process created it between our info and add
        if (!/already in use|exists/i.test(String(e))) throw e;
      }
    }
  }
}
