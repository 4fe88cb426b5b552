/**
 * Test harness shared by the end-to-end and chaos suites: publish what agents publish, read the
 * audit trail back from JetStream, and check the one invariant that matters most: every VM exists
 * exactly once, on a host that exists.
 */

import type { MigrationEngine } from "@presage/controller/internal";
import { type Heartbeat, type NatsConnection, type SensorEvent, subjects } from "@presage/shared";

export async function poll<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export { criticalFanEvent } from "@presage/shared/testing";

/** Publish as an agent does; the request waits for the stream's ack so the event is stored. */
export async function publishEvent(nc: NatsConnection, ev: SensorEvent): Promise<void> {
  const r = await nc.request(subjects.events(ev.host), JSON.stringify(ev), { timeout: 5_000 });
  const ack = r.json<{ stream?: string; error?: unknown }>();
  if (!ack.stream) throw new Error(`event not stored: ${JSON.stringify(ack)}`);
}

/** Heartbeats every `everyMs` for each host; `status(host)` says what each reports. */
export function heartbeats(
  nc: NatsConnection,
  hosts: string[],
  status: (host: string) => Heartbeat["status"] | null,
  everyMs = 200,
): { stop(): void } {
  const t = setInterval(() => {
    for (const h of hosts) {
      const s = status(h);
      if (!s) continue;
      const hb: Heartbeat = { host: h, ts: Date.now(), status: s, conditions: s === "ok" ? [] : ["FAN3 failing"] };
      nc.publish(subjects.health(h), JSON.stringify(hb));
    }
  }, everyMs);
  return { stop: () => clearInterval(t) };
}

/** Every VM once, on a known host; returns VM id -> host. Throws with the details otherwise. */
export async function vmPlacement(
  engine: MigrationEngine,
  expectedIds: Iterable<string>,
): Promise<Map<string, string>> {
  const [hosts, vms] = await Promise.all([engine.listHosts(), engine.listVms()]);
  const names = new Set(hosts.map((h) => h.name));
  const where = new Map<string, string>();
  for (const v of vms) {
    if (where.has(v.id)) throw new Error(`${v.id} is on two hosts: ${where.get(v.id)} and ${v.host}`);
    if (!names.has(v.host)) throw new Error(`${v.id} is on unknown host ${v.host}`);
    where.set(v.id, v.host);
  }
  for (const id of expectedIds) if (!where.has(id)) throw new Error(`${id} is lost`);
  return where;
}

export { readAuditTrail as readAudit } from "@presage/controller/internal";
