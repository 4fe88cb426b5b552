/**
 * The agents' live feeds, subscribed by every replica (a follower keeps telemetry warm for when it
 * takes over): heartbeats (health, and the leader's lost/found bookkeeping) and reading batches.
 */
import {
  batchCheck,
  type Heartbeat,
  heartbeatCheck,
  hostOfSubject,
  type ReadingBatch,
  type Subscription,
  subjects,
  subscribeJson,
} from "@presage/shared";
import type { LeaderContext, ReplicaDeps } from "../runtime/context.js";

const family = (subject: string) => subject.split(".").slice(0, 3).join(".");

/** A message names a host: it must match its subject and, on the leader, be known to the engine. */
export function knownHost(deps: ReplicaDeps, leader: LeaderContext | null, host: string, subject: string): boolean {
  if (hostOfSubject(subject) !== host) {
    deps.metrics.inc("presage_invalid_messages_total", { subject: family(subject) });
    deps.log.warn({ subject, host }, "dropped a message whose host differs from its subject");
    return false;
  }
  if (leader && !leader.store.hosts.has(host)) {
    deps.metrics.inc("presage_unknown_host_messages_total", { subject: family(subject) });
    deps.log.warn({ subject, host }, "ignored a message about a host the hypervisor does not know");
    return false;
  }
  return true;
}

/** Subscribe to heartbeats and readings; `leader()` is the current leader context, if any. */
export function subscribeAgents(deps: ReplicaDeps, leader: () => LeaderContext | null): Subscription[] {
  const o = { log: deps.log, metrics: deps.metrics };
  return [
    subscribeJson<Heartbeat>(
      deps.nc,
      subjects.allHealth,
      heartbeatCheck,
      (hb, m) => onHeartbeat(deps, leader(), hb, m.subject),
      o,
    ),
    subscribeJson<ReadingBatch>(
      deps.nc,
      subjects.allReadings,
      batchCheck,
      (b, m) => {
        if (knownHost(deps, leader(), b.host, m.subject)) deps.telemetry.readings(b);
      },
      o,
    ),
  ];
}

function onHeartbeat(deps: ReplicaDeps, ctx: LeaderContext | null, hb: Heartbeat, subject: string): void {
  if (!knownHost(deps, ctx, hb.host, subject)) return;
  const now = deps.clock.now();
  deps.telemetry.heartbeat(hb, now);
  if (!ctx) return;
  const rec = ctx.store.hosts.get(hb.host);
  if (!rec) return;
  const stale = now - (rec.lastHeartbeat ?? 0) > ctx.cfg.heartbeat.lostAfterMs / 2;
  if (stale || rec.lastHealth !== hb.status || rec.lost) {
    ctx.store.hosts.set(hb.host, { ...rec, lastHeartbeat: now, lastHealth: hb.status });
    ctx.persistSoon();
    if (rec.lost) ctx.wake();
  }
}
