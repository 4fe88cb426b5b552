/** NATS subject names (docs/contract.md section 4). Host names are validated before they become tokens. */
import { hostNameError, isValidHostName } from "./schema.js";

export const SUBJECT_ROOT = "presage.v1";

function tok(host: string): string {
  const e = hostNameError(host);
  if (e) throw new Error(e);
  return host;
}

export const subjects = {
  readings: (host: string) => `${SUBJECT_ROOT}.readings.${tok(host)}`,
  health: (host: string) => `${SUBJECT_ROOT}.health.${tok(host)}`,
  events: (host: string) => `${SUBJECT_ROOT}.events.${tok(host)}`,
  audit: (kind: string) => `${SUBJECT_ROOT}.audit.${kind}`,
  ops: (op: string) => `${SUBJECT_ROOT}.ops.${op}`,
  /** controller -> agents on that host (e.g. the QMP helper) */
  commands: (host: string) => `${SUBJECT_ROOT}.commands.${tok(host)}`,
  allReadings: `${SUBJECT_ROOT}.readings.*`,
  allHealth: `${SUBJECT_ROOT}.health.*`,
  allEvents: `${SUBJECT_ROOT}.events.*`,
  allAudit: `${SUBJECT_ROOT}.audit.>`,
  allOps: `${SUBJECT_ROOT}.ops.>`,
  /** controller -> watchers: alerts (incl. escalations) and migration progress */
  alerts: `${SUBJECT_ROOT}.alerts`,
  migrations: `${SUBJECT_ROOT}.migrations`,
} as const;

/**
 * Per-identity reply inboxes (nats.js `inboxPrefix`): every request reply, JetStream publish ack and
 * pull-consumer delivery of a client lands under its prefix, and deploy/nats lets each identity
 * subscribe to its own prefix only, so no agent can read (or NAK) another's traffic (docs/security.md).
 */
export const inboxes = {
  agent: (host: string) => `_INBOX.presage.agent.${tok(host)}`,
  controller: "_INBOX.presage.controller",
  /** an operator's NATS user; null when the name cannot be one subject token (same rule as host names) */
  operator: (user: string): string | null => (isValidHostName(user) ? `_INBOX.presage.ops.${user}` : null),
} as const;

export const STREAM_EVENTS = "PRESAGE_EVENTS";
export const STREAM_AUDIT = "PRESAGE_AUDIT";
export const KV_HOSTS = "presage-hosts";
export const KV_VMS = "presage-vms";
export const KV_CONTROL = "presage-control";

/** The host token of a per-host subject, or null if the subject is not one. */
export function hostOfSubject(subject: string): string | null {
  const parts = subject.split(".");
  return parts.length === 4 ? (parts[3] ?? null) : null;
}
