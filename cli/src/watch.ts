/**
 * `presage watch`: tail events, alerts, migrations and audit records live (core NATS
 * subscriptions; nothing is replayed). Each message is checked before it is printed; one that
 * does not look like what its subject carries is shown as such, never crashes the watch.
 */
import {
  AlertSchema,
  AuditRecordSchema,
  type Check,
  checkOf,
  eventCheck,
  MigrationRecordSchema,
  type NatsConnection,
  parseJson,
  subjects,
  Type,
} from "@presage/shared";
import { ago, colourOf, iso, paint, type Style } from "./format.js";

type Kind = "event" | "alert" | "migration" | "audit";

/** The fields watch prints, picked from what the producers publish (shared/src/messages.ts, records.ts). */
const checks: Record<Kind, Check> = {
  event: eventCheck,
  alert: checkOf(Type.Pick(AlertSchema, ["id", "host", "severity", "reason"])),
  migration: checkOf(Type.Pick(MigrationRecordSchema, ["id", "vm", "from", "to", "status"])),
  audit: checkOf(Type.Pick(AuditRecordSchema, ["ts", "action", "actor", "detail"])),
};

const sources: [Kind, string][] = [
  ["event", subjects.allEvents],
  ["alert", subjects.alerts],
  ["migration", subjects.migrations],
  ["audit", subjects.allAudit],
];

/** The union of the fields describe() prints, all of them checked above for their kind. */
type Shown = {
  ts?: number;
  id: string;
  host: string;
  severity: string;
  kind: string;
  component: string;
  sensor?: string | null;
  reason: string;
  predictedFailureAt?: number | null;
  vm: string;
  from: string;
  to: string;
  status: string;
  progress?: number;
  error?: string | null;
  action: string;
  actor: string;
  detail: string;
};

type Line = { subject: string; kind: Kind; data: Record<string, unknown> };

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
  const d = l.data as unknown as Shown;
  const s = o.style;
  const when = iso(typeof d.ts === "number" ? d.ts : o.now()).slice(11, 19);
  switch (l.kind) {
    case "event":
      return `${when} ${paint(s, "bold", "EVENT")}     ${d.host} ${paint(s, colourOf(d.severity), d.severity)} ${d.kind} ${d.component}${d.sensor ? ` ${d.sensor}` : ""}: ${d.reason}${d.predictedFailureAt ? ` (fails ${ago(d.predictedFailureAt, d.ts ?? o.now())})` : ""}`;
    case "alert":
      return `${when} ${paint(s, "bold", "ALERT")}     ${d.host} ${paint(s, colourOf(d.severity), d.severity)} ${d.id}: ${d.reason}`;
    case "migration": {
      const progress = typeof d.progress === "number" ? ` ${Math.round(d.progress * 100)}%` : "";
      return `${when} ${paint(s, "bold", "MIGRATION")} ${d.vm} ${d.from} -> ${d.to} ${paint(s, colourOf(d.status), d.status)}${progress}${d.error ? ` (${d.error})` : ""}`;
    }
    case "audit":
      return `${when} ${paint(s, "bold", "AUDIT")}     ${d.action}${d.host ? ` ${d.host}` : ""} by ${d.actor}: ${d.detail}`;
  }
}

/** Whether a message is about `host`: a migration is about both its ends. */
function concerns(d: Record<string, unknown>, host: string): boolean {
  return d.host === host || d.from === host || d.to === host;
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
          const r = parseJson<Record<string, unknown>>(checks[kind], m.string());
          if (!r.ok) {
            o.out(
              o.json
                ? JSON.stringify({ subject: m.subject, invalid: r.error })
                : `ignored a malformed ${kind} on ${m.subject}: ${r.error}`,
            );
            continue;
          }
          if (o.host && !concerns(r.value, o.host)) continue;
          const line: Line = { subject: m.subject, kind, data: r.value };
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
