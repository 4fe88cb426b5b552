/**
 * The controller's live feeds (core NATS, nothing replayed): what it publishes on
 * presage.v1.alerts, presage.v1.migrations and presage.v1.audit.>, declared once here so the
 * producer (the controller) and the consumers (`presage watch`, dashboards) share one shape.
 */
import type { Plan } from "./ops.js";
import { type Check, check } from "./schema.js";
import {
  type Alert,
  type AuditRecord,
  Component,
  MigrationPurpose,
  type MigrationRecord,
  MigrationStatus,
  Severity,
} from "./types.js";

/** presage.v1.alerts: an alert opened or changed, an escalation of one, or a plan awaiting approval. */
export type AlertFeedMessage = { type: "alert" | "escalation"; alert: Alert } | { type: "plan"; plan: Plan };

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as string[];
const ms = check.int({ min: 0 });
const text = check.str();

export const alertCheck: Check = check.obj({
  id: check.str({ min: 1, max: 256 }),
  host: check.host(),
  severity: check.oneOf(values(Severity)),
  component: check.oneOf(values(Component)),
  sensor: check.nullable(check.str({ max: 256 })),
  reason: text,
  openedAt: ms,
  lastEventAt: ms,
  cleared: check.bool(),
  ack: check.nullable(check.obj({ by: check.str(), at: ms, note: text })),
  escalations: check.int({ min: 0 }),
});

const moveCheck = check.obj({ vm: check.str({ min: 1 }), from: check.host(), to: check.host() });

export const planCheck: Check = check.obj({
  id: check.str({ min: 1, max: 256 }),
  kind: check.oneOf(["evacuation", "maintenance", "return", "rebalance"]),
  host: check.nullable(check.host()),
  createdAt: ms,
  status: check.oneOf(["proposed", "approved", "rejected", "executing", "done", "failed"]),
  reason: text,
  moves: check.array(moveCheck),
  unplaced: check.array(check.obj({ vm: check.str(), reason: text })),
});

const alertFeedCheck: Check = (v, p) => {
  const type = (v as { type?: unknown } | null)?.type;
  if (type === "alert" || type === "escalation") return check.obj({ alert: alertCheck })(v, p);
  if (type === "plan") return check.obj({ plan: planCheck })(v, p);
  return `${p || "message"}.type must be one of alert, escalation, plan`;
};

export const migrationRecordCheck: Check = check.obj({
  id: check.str({ min: 1, max: 256 }),
  vm: check.str({ min: 1, max: 256 }),
  from: check.host(),
  to: check.host(),
  purpose: check.oneOf(values(MigrationPurpose)),
  status: check.oneOf(values(MigrationStatus)),
  startedAt: check.nullable(ms),
  finishedAt: check.nullable(ms),
  progress: check.num({ min: 0, max: 1 }),
  error: check.optional(check.nullable(text)),
});

export const auditRecordCheck: Check = check.obj({
  ts: ms,
  action: check.str({ min: 1, max: 128 }),
  host: check.optional(check.nullable(check.host())),
  vm: check.optional(check.nullable(check.str())),
  actor: check.str({ min: 1, max: 256 }),
  detail: text,
});

/** One check per feed subject the controller publishes. */
export const feedChecks = {
  alerts: alertFeedCheck,
  migrations: migrationRecordCheck,
  audit: auditRecordCheck,
} as const;

export type FeedMessages = { alerts: AlertFeedMessage; migrations: MigrationRecord; audit: AuditRecord };
