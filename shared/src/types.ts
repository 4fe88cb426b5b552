/**
 * Message shapes that cross process boundaries (docs/contract.md sections 1, 2, 4, 5).
 * Data shapes are plain types; enums are const objects so they exist at runtime for validation.
 */

export const SensorType = {
  Fan: "fan",
  Temperature: "temperature",
  Voltage: "voltage",
  Current: "current",
  Power: "power",
  Utilization: "utilization",
  Other: "other",
} as const;
export type SensorType = (typeof SensorType)[keyof typeof SensorType];

/** Threshold values as the BMC reports them; null where the BMC has none. */
export type Thresholds = {
  lnr: number | null;
  lcr: number | null;
  lnc: number | null;
  unc: number | null;
  ucr: number | null;
  unr: number | null;
};

/** One sensor sample (docs/contract.md section 1). */
export type Reading = {
  /** sample time, ms since the Unix epoch (UTC) */
  ts: number;
  host: string;
  sensor: string;
  type: SensorType;
  unit: string;
  /** null = no reading (na/ns/disabled); never 0 for "no reading" */
  value: number | null;
  status?: string;
  thresholds?: Partial<Thresholds>;
  /** discrete sensors (presence, redundancy) keep their state word here; value is null */
  state?: string;
};

export const Severity = { Info: "info", Warning: "warning", Critical: "critical" } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export const EventKind = { Degradation: "degradation", Failure: "failure", Cleared: "cleared" } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export const Component = {
  Fan: "fan",
  Psu: "psu",
  Thermal: "thermal",
  Voltage: "voltage",
  Sensor: "sensor",
  Host: "host",
} as const;
export type Component = (typeof Component)[keyof typeof Component];

/** What an agent concludes (docs/contract.md section 2). */
export type SensorEvent = {
  id: string;
  /** time of the reading that triggered it, ms */
  ts: number;
  host: string;
  severity: Severity;
  kind: EventKind;
  component: Component;
  sensor: string | null;
  reason: string;
  predictedFailureAt: number | null;
  confidence: number | null;
};

/** A batch of readings published on presage.v1.readings.<host>. */
export type ReadingBatch = {
  host: string;
  readings: Reading[];
};

export const HealthStatus = { Ok: "ok", Warning: "warning", Critical: "critical", Unknown: "unknown" } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** Agent heartbeat on presage.v1.health.<host>. */
export type Heartbeat = {
  host: string;
  /** agent clock, ms */
  ts: number;
  /** worst open condition on this host */
  status: HealthStatus;
  /** open conditions, one line each */
  conditions: string[];
  /** host CPU utilisation 0..100 if known (load balancing input) */
  cpuUtilPct?: number | null;
  /** whether the host is powered on as far as the agent can tell */
  powerOn?: boolean | null;
  /** failed polls in a row of its sources (0 when all answer) */
  sourceFailures?: number;
  agentVersion?: string;
};

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

/** The controller's durable record of one host, stored in KV bucket presage-hosts under the host name. */
export type HostRecord = {
  host: string;
  state: HostState;
  /** when the state last changed, ms */
  since: number;
  /** why it is in this state (event reason, operator note) */
  reason: string;
  /** event that caused the current state, if any */
  eventId?: string | null;
  /** last heartbeat seen, ms (null = never) */
  lastHeartbeat?: number | null;
  lastHealth?: HealthStatus;
  /** set while the agent's heartbeats have stopped */
  lost?: boolean;
  /** predicted failure time of the open condition, used to order evacuations */
  predictedFailureAt?: number | null;
  /** maintenance reason/deadline when in maintenance */
  maintenance?: { reason: string; deadline: number | null; by: string } | null;
  /** when it was marked repaired, for the return grace period */
  repairedAt?: number | null;
};

/** A VM and where it is. */
export type VmRecord = {
  id: string;
  /** where it runs now */
  host: string;
  /** where it ran before an evacuation; returning sends it back here */
  home: string;
  memoryMiB: number;
  vcpus: number;
  /** measured CPU demand in vCPUs (0..vcpus); defaults to vcpus * 0.5 */
  cpuDemand?: number;
  /** memory dirty rate, MiB/s */
  dirtyRateMiBps?: number;
  antiAffinityGroup?: string | null;
  /** higher moves first */
  priority?: number;
};

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

export type MigrationRecord = {
  id: string;
  vm: string;
  from: string;
  to: string;
  purpose: MigrationPurpose;
  status: MigrationStatus;
  startedAt: number | null;
  finishedAt: number | null;
  /** 0..1 */
  progress: number;
  bytesTotal?: number | null;
  bytesRemaining?: number | null;
  error?: string | null;
};

/** One record on presage.v1.audit.<kind>. */
export type AuditRecord = {
  ts: number;
  /** e.g. "transition", "migration.start", "ack", "brake" */
  action: string;
  host?: string | null;
  vm?: string | null;
  /** who: "controller" or the operator identity */
  actor: string;
  detail: string;
  data?: Record<string, unknown>;
};

export type Alert = {
  /** same as the event id that opened it */
  id: string;
  host: string;
  severity: Severity;
  component: Component;
  sensor: string | null;
  reason: string;
  openedAt: number;
  lastEventAt: number;
  cleared: boolean;
  ack: { by: string; at: number; note: string } | null;
  escalations: number;
};
