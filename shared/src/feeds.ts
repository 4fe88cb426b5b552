/**
 * The controller's live feeds (core NATS, nothing replayed): what it publishes on
 * presage.v1.alerts, presage.v1.migrations and presage.v1.audit.>, declared once here (from the record
 * schemas) so the producer (the controller) and the consumers (`presage watch`, dashboards) share one shape.
 */
import { eventCheck } from "./messages.js";
import { AlertSchema, AuditRecordSchema, MigrationRecordSchema, PlanSchema } from "./records.js";
import { type Check, checkOf, type Static, Type } from "./schema.js";
import { subjects } from "./subjects.js";

/** presage.v1.alerts: an alert opened or changed, an escalation of one, or a plan awaiting approval. */
export const AlertFeedMessageSchema = Type.Union([
  Type.Object({ type: Type.Enum(["alert", "escalation"]), alert: AlertSchema }),
  Type.Object({ type: Type.Literal("plan"), plan: PlanSchema }),
]);
export type AlertFeedMessage = Static<typeof AlertFeedMessageSchema>;

/** One check per feed subject the controller publishes. */
export const feedChecks = {
  alerts: checkOf(AlertFeedMessageSchema),
  migrations: checkOf(MigrationRecordSchema),
  audit: checkOf(AuditRecordSchema),
} as const;

export type FeedMessages = {
  alerts: AlertFeedMessage;
  migrations: Static<typeof MigrationRecordSchema>;
  audit: Static<typeof AuditRecordSchema>;
};

export type LiveFeedKind = "event" | "alert" | "migration" | "audit";

/** What `presage watch` and the dashboard tail, in one place: the agents' events and the controller's feeds. */
export const LIVE_FEEDS: readonly { kind: LiveFeedKind; subject: string; check: Check }[] = [
  { kind: "event", subject: subjects.allEvents, check: eventCheck },
  { kind: "alert", subject: subjects.alerts, check: feedChecks.alerts },
  { kind: "migration", subject: subjects.migrations, check: feedChecks.migrations },
  { kind: "audit", subject: subjects.allAudit, check: feedChecks.audit },
];
