/**
 * Feed messages in the shapes the controller publishes (shared/feeds.ts), for the watch tests
 * that need exact lines; test/cli/contract.test.ts runs the real producer against the same decoder.
 */
import type { Alert, AlertFeedMessage, MigrationRecord } from "@presage/shared";

export function alertMessage(a: Partial<Alert> & { id: string; host: string; ts: number }): AlertFeedMessage {
  const { ts, ...over } = a;
  return {
    type: "alert",
    alert: {
      severity: "warning",
      component: "fan",
      sensor: null,
      reason: "a reason",
      openedAt: ts,
      lastEventAt: ts,
      cleared: false,
      ack: null,
      escalations: 0,
      ...over,
    },
  };
}

export function runningMigration(
  m: Pick<MigrationRecord, "id" | "vm" | "from" | "to" | "progress"> & { ts: number },
): MigrationRecord {
  const { ts, ...over } = m;
  return { purpose: "evacuation", status: "running", startedAt: ts, finishedAt: null, ...over };
}
