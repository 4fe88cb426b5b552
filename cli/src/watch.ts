/**
 * `presage watch`: tail events, alerts, migrations and audit records live (core NATS
 * subscriptions; nothing is replayed). Each message is checked before it is printed; one that
 * does not look like what its subject carries is shown as such, never crashes the watch.
 */
import {
  type AlertFeedMessage,
  type AuditRecord,
  type Check,
  LIVE_FEEDS,
  type LiveFeedKind,
  type MigrationRecord,
  type NatsConnection,
  parseJson,
  type SensorEvent,
} from "@presage/shared";
import { ago, colourOf, iso, paint, type Style } from "./format.js";

type Kind = LiveFeedKind;

/** The producers' shapes (shared/feeds.ts): the same checks the contract tests hold the controller to. */
const checks = Object.fromEntries(LIVE_FEEDS.map((f) => [f.kind, f.check])) as Record<Kind, Check>;
const sources: [Kind, string][] = LIVE_FEEDS.map((f) => [f.kind, f.subject]);

type Line =
  | { subject: string; kind: "event"; data: SensorEvent }
  | { subject: string; kind: "alert"; data: AlertFeedMessage }
  | { subject: string; kind: "migration"; data: MigrationRecord }
  | { subject: string; kind: "audit"; data: AuditRecord };

export type WatchOptions = {
  style: Style;
  json: boolean;
  host?: string;
  /** stop after this many lines */
  count?: number;
  /** stop after this long */
  forMs?: number;
  out: (line: string) => void;
  /** called once the subscriptions are registered with the server */
  ready?: () => void;
  now: () => number;
};

function describe(l: Line, o: WatchOptions): string {
  const s = o.style;
  const at = (ts: number | null | undefined) => iso(typeof ts === "number" ? ts : o.now()).slice(11, 19);
  switch (l.kind) {
    case "event": {
      const d = l.data;
      return `${at(d.ts)} ${paint(s, "bold", "EVENT")}     ${d.host} ${paint(s, colourOf(d.severity), d.severity)} ${d.kind} ${d.component}${d.sensor ? ` ${d.sensor}` : ""}: ${d.reason}${d.predictedFailureAt ? ` (fails ${ago(d.predictedFailureAt, d.ts)})` : ""}`;
    }
    case "alert": {
      const d = l.data;
      if (d.type === "plan") {
        const p = d.plan;
        return `${at(p.createdAt)} ${paint(s, "bold", "PLAN")}      ${p.id} ${p.kind}${p.host ? ` ${p.host}` : ""} ${paint(s, colourOf(p.status), p.status)} ${p.moves.length} moves: ${p.reason}`;
      }
      const a = d.alert;
      const label = d.type === "escalation" ? `ESCALATION ${a.escalations}x` : a.cleared ? "ALERT cleared" : "ALERT";
      return `${at(a.lastEventAt)} ${paint(s, "bold", label)} ${a.host} ${paint(s, colourOf(a.severity), a.severity)} ${a.id}: ${a.reason}${a.ack ? ` (acked by ${a.ack.by})` : ""}`;
    }
    case "migration": {
      const d = l.data;
      const progress = d.status === "running" ? ` ${Math.round(d.progress * 100)}%` : "";
      return `${at(d.finishedAt ?? d.startedAt)} ${paint(s, "bold", "MIGRATION")} ${d.vm} ${d.from} -> ${d.to} ${paint(s, colourOf(d.status), d.status)}${progress}${d.error ? ` (${d.error})` : ""}`;
    }
    case "audit": {
      const d = l.data;
      return `${at(d.ts)} ${paint(s, "bold", "AUDIT")}     ${d.action}${d.host ? ` ${d.host}` : ""} by ${d.actor}: ${d.detail}`;
    }
  }
}

/** Whether a message is about `host`: a migration or a plan is about both ends of its moves. */
function concerns(l: Line, host: string): boolean {
  switch (l.kind) {
    case "event":
    case "audit":
      return l.data.host === host;
    case "migration":
      return l.data.from === host || l.data.to === host;
    case "alert":
      return l.data.type === "plan"
        ? l.data.plan.host === host || l.data.plan.moves.some((m) => m.from === host || m.to === host)
        : l.data.alert.host === host;
  }
}

/** Runs until count/forMs is reached or `signal` aborts; resolves with the number of lines printed. */
export async function watch(nc: NatsConnection, o: WatchOptions, signal: AbortSignal): Promise<number> {
  let printed = 0;
  const subs = sources.map(([kind, subject]) => ({ kind, sub: nc.subscribe(subject) }));
  const done = new Promise<void>((resolve) => {
    const stop = () => {
      for (const { sub } of subs) sub.unsubscribe();
      resolve();
    };
    signal.addEventListener("abort", stop, { once: true });
    if (o.forMs !== undefined) setTimeout(stop, o.forMs).unref();
    for (const { kind, sub } of subs) {
      (async () => {
        for await (const m of sub) {
          const r = parseJson<Line["data"]>(checks[kind], m.string());
          if (!r.ok) {
            o.out(
              o.json
                ? JSON.stringify({ subject: m.subject, invalid: r.error })
                : `ignored a malformed ${kind} on ${m.subject}: ${r.error}`,
            );
            continue;
          }
          const line = { subject: m.subject, kind, data: r.value } as Line;
          if (o.host && !concerns(line, o.host)) continue;
          o.out(o.json ? JSON.stringify(line) : describe(line, o));
          printed++;
          if (o.count !== undefined && printed >= o.count) stop();
        }
      })().catch(() => stop());
    }
  });
  // make sure the subscriptions are registered before anyone relies on seeing messages
  await nc.flush();
  o.ready?.();
  await done;
  return printed;
}
