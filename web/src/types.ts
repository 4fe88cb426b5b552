/** The shapes the controller sends, from their one declaration in @presage/shared (types only: nothing is bundled). */
export type {
  Alert,
  AlertFeedMessage as AlertFeed,
  AuditRecord,
  HostSummary,
  MigrationRecord as Migration,
  Plan,
  PlanMove,
  Reading,
  ReadingBatch as ReadingBatchLike,
  SensorEvent,
  VmRecord as Vm,
} from "@presage/shared";

import type { OpsReplies } from "@presage/shared";

export type Status = OpsReplies["status"];
export type HostDetail = OpsReplies["host"];
