/** Every metric family the agent writes by name (the scrape-time ones are in ipmi.ts and detector.ts). */
import { Buckets, type FamilySpec, Metrics, Severity } from "@presage/shared";

export const AGENT_FAMILIES: readonly FamilySpec[] = [
  {
    name: "presage_agent_polls_total",
    help: "Source polls, by source and result (ok, error).",
    type: "counter",
    labels: ["source", "result"],
  },
  {
    name: "presage_agent_poll_duration_seconds",
    help: "How long one poll of a source took (failed polls included).",
    type: "histogram",
    labels: ["source"],
    buckets: Buckets.poll,
  },
  {
    name: "presage_agent_readings_total",
    help: "Valid readings published, by source.",
    type: "counter",
    labels: ["source"],
  },
  {
    name: "presage_agent_invalid_readings_total",
    help: "Readings a source produced that failed validation and were dropped, by source.",
    type: "counter",
    labels: ["source"],
  },
  {
    name: "presage_agent_readings_publish_errors_total",
    help: "Reading batches NATS refused (NATS away).",
    type: "counter",
  },
  { name: "presage_agent_detector_errors_total", help: "Readings the detector threw on (skipped).", type: "counter" },
  {
    name: "presage_agent_events_published_total",
    help: "Events stored in JetStream, by severity.",
    type: "counter",
    labels: ["severity"],
  },
  { name: "presage_agent_events_pending", help: "Events waiting in the outbox for NATS.", type: "gauge" },
  { name: "presage_agent_events_dropped_total", help: "Events dropped because the outbox was full.", type: "counter" },
  {
    name: "presage_agent_event_publish_retries_total",
    help: "Event publishes retried after a failure.",
    type: "counter",
  },
];

/** A registry with the agent's families, every severity's series at 0 so rate() works from the first event. */
export function agentMetrics(): Metrics {
  const m = new Metrics("agent", AGENT_FAMILIES);
  for (const severity of Object.values(Severity)) m.zero("presage_agent_events_published_total", { severity });
  m.set("presage_agent_events_pending", 0);
  return m;
}
