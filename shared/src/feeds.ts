/**
 * The controller's live feeds (core NATS, nothing replayed): what it publishes on
 * presage.v1.alerts, presage.v1.migrations and presage.v1.audit.>, declared once here (from the record
 * schemas) so the producer (the controller) and the consumers (`presage watch`, dashboards) share one shape.
 */
import { AlertSchema, AuditRecordSchema, MigrationRecordSchema, PlanSchema } from "./records.js";
import { checkOf, type Static, Type } from "./schema.js";

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
