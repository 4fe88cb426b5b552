/** Every metric family the controller writes by name (the scrape-time ones are in state.ts). */
import {
  Buckets,
  type FamilySpec,
  HostState,
  Metrics,
  MigrationPurpose,
  MigrationStatus,
  Severity,
} from "@presage/shared";
import { SENSORS_DROPPED } from "../telemetry.js";

const counter = (name: string, help: string, labels: string[] = []): FamilySpec => ({
  name,
  help,
  type: "counter",
  labels,
});

export const CONTROLLER_FAMILIES: readonly FamilySpec[] = [
  counter("presage_events_total", "Agent events consumed, by severity.", ["severity"]),
  counter("presage_events_refused_total", "Agent events refused, by reason (clock_skew).", ["reason"]),
  counter(
    "presage_alerts_dropped_total",
    "Alerts dropped by the per-host cap alerts.maxPerHost, by reason (retired: the oldest cleared one made room; host_cap: a new one not stored).",
    ["reason"],
  ),
  counter("presage_unknown_host_messages_total", "Messages about hosts the engine does not know, by subject family.", [
    "subject",
  ]),
  counter("presage_event_consumer_restarts_total", "Times the JetStream event consumer was re-created."),
  counter("presage_transitions_total", "Host lifecycle transitions, by the state entered.", ["to"]),
  counter("presage_migrations_total", "Migrations finished, by purpose and status (completed, failed, cancelled).", [
    "purpose",
    "status",
  ]),
  {
    name: "presage_migration_duration_seconds",
    help: "How long finished migrations ran, from start to completion or failure.",
    type: "histogram",
    labels: ["purpose", "status"],
    buckets: Buckets.migration,
  },
  counter("presage_migration_bytes_total", "Bytes the hypervisor reported transferred by finished migrations.", [
    "purpose",
  ]),
  {
    name: "presage_reconcile_duration_seconds",
    help: "How long one reconcile pass took (observe, reconcile, apply, persist).",
    type: "histogram",
    buckets: Buckets.reconcile,
  },
  counter("presage_ops_requests_total", "Operator requests answered, by endpoint and result (ok or an error code).", [
    "endpoint",
    "result",
  ]),
  counter(
    "presage_http_requests_total",
    "Dashboard API operator requests, by endpoint and result (ok or an error code).",
    ["endpoint", "result"],
  ),
  counter("presage_audit_dropped_total", "Audit records dropped because the audit queue was full."),
  counter("presage_audit_retries_total", "Audit publishes retried after a failure."),
  counter("presage_invalid_records_total", "KV records that failed validation on load or watch, by bucket.", [
    "bucket",
  ]),
  counter("presage_kv_retries_total", "KV writes retried (NATS away), by bucket.", ["bucket"]),
  counter("presage_kv_conflicts_total", "KV writes that lost a compare-and-set race and were re-read, by bucket.", [
    "bucket",
  ]),
  counter(SENSORS_DROPPED, "Readings dropped because their host already has telemetry.maxSensorsPerHost sensors."),
  counter("presage_alertmanager_pushes_total", "Pushes of the alert list to Alertmanager, by result (ok, error).", [
    "result",
  ]),
  counter(
    "presage_alertmanager_silences_created_total",
    "Silences created in Alertmanager for alerts acknowledged in Presage.",
  ),
  counter(
    "presage_alertmanager_acks_total",
    "Presage alerts acknowledged because a silence in Alertmanager matched them.",
  ),
];

/** A registry with the controller's families; series rules and boards key on exist at 0 from start-up. */
export function controllerMetrics(): Metrics {
  const m = new Metrics("controller", CONTROLLER_FAMILIES);
  for (const severity of Object.values(Severity)) m.zero("presage_events_total", { severity });
  for (const to of Object.values(HostState)) m.zero("presage_transitions_total", { to });
  for (const purpose of Object.values(MigrationPurpose)) {
    m.zero("presage_migration_bytes_total", { purpose });
    for (const status of [MigrationStatus.Completed, MigrationStatus.Failed, MigrationStatus.Cancelled]) {
      m.zero("presage_migrations_total", { purpose, status });
      m.zero("presage_migration_duration_seconds", { purpose, status });
    }
  }
  for (const result of ["ok", "error"]) m.zero("presage_alertmanager_pushes_total", { result });
  for (const reason of ["retired", "host_cap"]) m.zero("presage_alerts_dropped_total", { reason });
  return m;
}
