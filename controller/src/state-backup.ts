/**
 * `presage-controller state export|import`: a JSON backup of the controller's KV state (host lifecycle, VM homes,
 * alerts, migrations, plans), online and without the nats CLI (docs/operations.md, "Backups"). The leader lease
 * is never exported or imported. Import refuses while a controller holds a live lease: the leader's in-memory
 * state would overwrite (or be overwritten by) the restored one.
 */
import { Kvm } from "@nats-io/kv";
import { ConfigError, KV_CONTROL, KV_HOSTS, KV_VMS, type NatsConnection } from "@presage/shared";
import { KV_ALERTS, KV_MIGRATIONS, KV_PLANS } from "./store/index.js";

const FORMAT = "presage-state/1";
export const BACKUP_BUCKETS = [KV_HOSTS, KV_VMS, KV_ALERTS, KV_MIGRATIONS, KV_PLANS] as const;

export type StateBackup = {
  format: typeof FORMAT;
  exportedAt: string;
  /** bucket -> KV key (as stored) -> value (parsed JSON) */
  buckets: Record<string, Record<string, unknown>>;
};

export async function exportState(nc: NatsConnection, now = new Date()): Promise<StateBackup> {
  const kvm = new Kvm(nc);
  const buckets: StateBackup["buckets"] = {};
  for (const name of BACKUP_BUCKETS) {
    const kv = await kvm.create(name, { history: 5 });
    const out: Record<string, unknown> = {};
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    for (const k of keys.sort()) {
      const e = await kv.get(k);
      if (e?.operation === "PUT") out[k] = e.json();
    }
    buckets[name] = out;
  }
  return { format: FORMAT, exportedAt: now.toISOString(), buckets };
}

/** Writes every key of the backup (existing keys not in it are kept). Returns keys written per bucket. */
export async function importState(
  nc: NatsConnection,
  backup: unknown,
  nowMs = Date.now(),
): Promise<Record<string, number>> {
  const b = backup as Partial<StateBackup> | null;
  if (b?.format !== FORMAT || typeof b.buckets !== "object" || b.buckets === null)
    throw new ConfigError(`not a Presage state backup (expected "format": "${FORMAT}")`);
  const unknown = Object.keys(b.buckets).filter((n) => !(BACKUP_BUCKETS as readonly string[]).includes(n));
  if (unknown.length) throw new ConfigError(`backup holds unknown bucket ${unknown[0]}`);
  const kvm = new Kvm(nc);
  const lease = await (await kvm.create(KV_CONTROL, { history: 1 })).get("leader");
  const held = lease?.operation === "PUT" ? (lease.json<{ holder?: string; expiresAt?: number }>() ?? null) : null;
  if (held && (held.expiresAt ?? 0) > nowMs)
    throw new ConfigError(`controller ${held.holder} holds the leader lease: stop every controller, then import`);
  const written: Record<string, number> = {};
  for (const [name, entries] of Object.entries(b.buckets)) {
    const kv = await kvm.create(name, { history: 5 });
    written[name] = 0;
    for (const [k, v] of Object.entries(entries ?? {})) {
      await kv.put(k, JSON.stringify(v));
      written[name]++;
    }
  }
  return written;
}
