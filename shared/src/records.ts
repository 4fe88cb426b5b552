/**
 * What the controller keeps (KV buckets, docs/contract.md section 5) and reports: declared once as schemas, types
 * inferred. Read back from KV through these checks, so a corrupt record is skipped, never trusted; unknown fields
 * are ignored so an older replica reads a newer replica's records.
 */
import { Component, HealthStatus, Severity } from "./messages.js";
import { checkOf, HostName, OneOf, type Static, Type } from "./schema.js";

/** Host lifecycle states (docs/contract.md section 5). */
export const HostState = {
  Healthy: "healthy",
  Suspect: "suspect",
  Degraded: "degraded",
  Evacuating: "evacuating",
  Quarantined: "quarantined",
  Returning: "returning",
  Maintenance: "maintenance",
  Failed: "failed",
} as const;
export type HostState = (typeof HostState)[keyof typeof HostState];

export const MigrationStatus = {
  Queued: "queued",
  Running: "running",
  Completed: "completed",
  Failed: "failed",
  Cancelled: "cancelled",
} as const;
export type MigrationStatus = (typeof MigrationStatus)[keyof typeof MigrationStatus];

export const MigrationPurpose = {
  Evacuation: "evacuation",
  Return: "return",
  Maintenance: "maintenance",
  Rebalance: "rebalance",
} as const;
export type MigrationPurpose = (typeof MigrationPurpose)[keyof typeof MigrationPurpose];

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const OptNull = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Optional(Nullable(t));
const Id = () => Type.String({ minLength: 1 });

/** The controller's durable record of one host, stored in KV bucket presage-hosts under the host name. */
export const HostRecordSchema = Type.Object({
  host: HostName(),
  state: OneOf(HostState),
  /** when the state last changed, ms */
  since: Type.Number(),
  /** why it is in this state (event reason, operator note) */
  reason: Type.String(),
  /** event that caused the current state, if any */
  eventId: OptNull(Type.String()),
  /** last heartbeat seen, ms (null = never) */
  lastHeartbeat: OptNull(Type.Number()),
  lastHealth: Type.Optional(OneOf(HealthStatus)),
  /** set while the agent's heartbeats have stopped */
  lost: Type.Optional(Type.Boolean()),
  /** predicted failure time of the open condition, used to order evacuations */
  predictedFailureAt: OptNull(Type.Number()),
  /** maintenance reason/deadline when in maintenance */
  maintenance: OptNull(Type.Object({ reason: Type.String(), deadline: Nullable(Type.Number()), by: Type.String() })),
  /** when it was marked repaired, for the return grace period */
  repairedAt: OptNull(Type.Number()),
});
export type HostRecord = Static<typeof HostRecordSchema>;

/** A VM and where it is. */
export const VmRecordSchema = Type.Object({
  id: Id(),
  /** where it runs now */
  host: Id(),
  /** where it ran before an evacuation; returning sends it back here */
  home: Id(),
  memoryMiB: Type.Number(),
  vcpus: Type.Number(),
  /** measured CPU demand in vCPUs (0..vcpus); defaults to vcpus * 0.5 */
  cpuDemand: Type.Optional(Type.Number()),
  /** memory dirty rate, MiB/s */
  dirtyRateMiBps: Type.Optional(Type.Number()),
  antiAffinityGroup: OptNull(Type.String()),
  /** higher moves first */
  priority: Type.Optional(Type.Number()),
});
export type VmRecord = Static<typeof VmRecordSchema>;

export const MigrationRecordSchema = Type.Object({
  id: Id(),
  vm: Id(),
  from: Id(),
  to: Id(),
  purpose: OneOf(MigrationPurpose),
  status: OneOf(MigrationStatus),
  startedAt: Nullable(Type.Number()),
  finishedAt: Nullable(Type.Number()),
  /** 0..1 */
  progress: Type.Number(),
  bytesTotal: OptNull(Type.Number()),
  bytesRemaining: OptNull(Type.Number()),
  error: OptNull(Type.String()),
});
export type MigrationRecord = Static<typeof MigrationRecordSchema>;

/** One record on presage.v1.audit.<kind>. */
export const AuditRecordSchema = Type.Object({
  ts: Type.Number(),
  /** e.g. "transition", "migration.start", "ack", "brake" */
  action: Type.String(),
  host: OptNull(Type.String()),
  vm: OptNull(Type.String()),
  /** who: "controller" or the operator identity */
  actor: Type.String(),
  detail: Type.String(),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditRecord = Static<typeof AuditRecordSchema>;

export const AlertSchema = Type.Object({
  /** same as the event id that opened it */
  id: Id(),
  host: Id(),
  severity: OneOf(Severity),
  component: OneOf(Component),
  sensor: Nullable(Type.String()),
  reason: Type.String(),
  openedAt: Type.Number(),
  lastEventAt: Type.Number(),
  /** the agent's stamp of the latest event that opened or refreshed it: a `cleared` stamped before it is older news */
  eventTs: Type.Optional(Type.Number()),
  cleared: Type.Boolean(),
  ack: Nullable(Type.Object({ by: Type.String(), at: Type.Number(), note: Type.String() })),
  escalations: Type.Number(),
  /** the opening event's cause (an EventCause value: `environment` = room or rack cooling), when it named one */
  cause: Type.Optional(Type.String({ maxLength: 64 })),
});
export type Alert = Static<typeof AlertSchema>;

export const PlanMoveSchema = Type.Object({
  vm: Type.String(),
  from: Type.String(),
  to: Type.String(),
  memoryMiB: Type.Number(),
  priority: Type.Optional(Type.Number()),
});
export type PlanMove = Static<typeof PlanMoveSchema>;

export const PlanSchema = Type.Object({
  id: Id(),
  kind: Type.Enum(["evacuation", "maintenance", "return", "rebalance"]),
  /** the host being emptied or refilled, if any */
  host: Nullable(Type.String()),
  createdAt: Type.Number(),
  status: Type.Enum(["proposed", "approved", "rejected", "executing", "done", "failed"]),
  reason: Type.String(),
  moves: Type.Array(PlanMoveSchema),
  /** VMs the planner could not place, with why */
  unplaced: Type.Array(Type.Object({ vm: Type.String(), reason: Type.String() })),
  imbalanceBefore: OptNull(Type.Number()),
  imbalanceAfter: OptNull(Type.Number()),
  /** scheduled plans (maintenance with `at`): when the controller starts it, ms */
  startAt: OptNull(Type.Number()),
  /** extra lines for operators (maintenance: drain estimate, deadline check, brake order) */
  details: Type.Optional(Type.Array(Type.String())),
});
export type Plan = Static<typeof PlanSchema>;

/** The leader lease in KV: who holds it and until when (wall clock, ms). */
export const LeaseSchema = Type.Object({ holder: Id(), expiresAt: Type.Number(), acquiredAt: Type.Number() });
export type Lease = Static<typeof LeaseSchema>;

export const hostRecordCheck = checkOf(HostRecordSchema);
export const vmRecordCheck = checkOf(VmRecordSchema);
export const migrationRecordCheck = checkOf(MigrationRecordSchema);
export const alertCheck = checkOf(AlertSchema);
export const planCheck = checkOf(PlanSchema);
export const leaseCheck = checkOf(LeaseSchema);
export const auditRecordCheck = checkOf(AuditRecordSchema);
