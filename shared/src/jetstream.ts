/**
 * JetStream resources both sides rely on; creating them is idempotent so either side may start first. On a
 * cluster of three or more JetStream servers they are replicated (R3, as NATS recommends), so losing one server
 * loses no event, audit record or KV entry; the replica count is checked against the cluster at start-up.
 */
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAM_AUDIT, STREAM_EVENTS, subjects } from "./subjects.js";

export type StreamLimits = { maxAgeMs?: number; maxBytes?: number };

/** The `nats.replicas` setting: a replica count, or "auto" (3 on a cluster of >= 3 servers, else 1). */
export type ReplicasSetting = number | "auto";

const DAY_MS = 24 * 3600 * 1000;

/** Servers in the connected server's cluster, from its INFO (1 for a lone server). */
export function clusterSize(nc: NatsConnection): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  return Math.max(1, info.connect_urls?.length ?? 1);
}

export class ReplicasError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplicasError";
  }
}

/**
 * The replica count to create streams and buckets with. The server checks a count against the JetStream peers
 * when a stream is created or raised (ensureStreams, raiseReplicas turn its refusal into a clear error): a count
 * is not refused here from the INFO alone, which leaves out a node that is down for the moment.
 */
export function resolveReplicas(nc: NatsConnection, setting: ReplicasSetting = "auto"): number {
  if (setting === "auto") return clusterSize(nc) >= 3 ? 3 : 1;
  if (!Number.isInteger(setting) || setting < 1 || setting > 5)
    throw new ReplicasError(`nats.replicas must be "auto" or an integer 1-5 (JetStream's limit), got ${setting}`);
  return setting;
}

function tooFew(wanted: number, servers: number, cluster?: string): ReplicasError {
  const where = cluster
    ? `the NATS cluster "${cluster}" has ${servers} server${servers === 1 ? "" : "s"} up`
    : "the NATS server is not clustered (one server)";
  return new ReplicasError(
    `nats.replicas is ${wanted} but ${where}: a stream needs one JetStream server per replica. ` +
      `Lower nats.replicas (or set it to "auto"), or add servers to the cluster (docs/operations.md)`,
  );
}

/** The server's refusals of a replica count it cannot place (2.9: 10005 in a cluster, 10074 standalone). */
function placementError(e: unknown, wanted: number, nc: NatsConnection): unknown {
  const s = String(e);
  if (/no suitable peers|insufficient resources|replicas > 1 not supported/i.test(s))
    return tooFew(wanted, clusterSize(nc), nc.info?.cluster);
  return e;
}

/**
 * Raise a stream's replica count to `replicas` (a deployment that grew from one server to a cluster). Never
 * lowers it: a smaller setting on a bigger stream is left alone.
 */
export async function raiseReplicas(
  nc: NatsConnection,
  stream: string,
  replicas: number,
  jsm?: JetStreamManager,
): Promise<void> {
  const m = jsm ?? (await jetstreamManager(nc));
  const info = await m.streams.info(stream);
  if ((info.config.num_replicas ?? 1) >= replicas) return;
  await m.streams.update(stream, { ...info.config, num_replicas: replicas }).catch((e) => {
    throw placementError(e, replicas, nc);
  });
}

export async function ensureStreams(nc: NatsConnection, limits: StreamLimits = {}, replicas = 1): Promise<void> {
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
          num_replicas: replicas,
        });
        continue;
      } catch (e) {
        // another process created it between our info and add
        if (!/already in use|exists/i.test(String(e))) throw placementError(e, replicas, nc);
      }
    }
    await raiseReplicas(nc, s.name, replicas, jsm);
  }
}
