/**
 * Messages agents publish (docs/contract.md sections 1, 2, 4): declared once as schemas, types inferred.
 * Readings, events and heartbeats ignore unknown fields (the contract lets producers add fields), so their objects
 * are not strict. Enums are const objects so they exist at runtime.
 */
import { checkOf, HostName, OneOf, parseJson, type Static, Type } from "./schema.js";

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

export const Severity = { Info: "info", Warning: "warning", Critical: "critical" } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export const EventKind = { Degradation: "degradation", Failure: "failure", Cleared: "cleared" } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** Why a component is in danger when it is not the component's own fault (extension; absent = its own fault). */
export const EventCause = {
  /** the room or rack is too hot (cooling): the inlet is far above its own level or at its critical threshold */
  Environment: "environment",
} as const;
export type EventCause = (typeof EventCause)[keyof typeof EventCause];

export const Component = {
  Fan: "fan",
  Psu: "psu",
  Thermal: "thermal",
  Voltage: "voltage",
  Sensor: "sensor",
  Host: "host",
} as const;
export type Component = (typeof Component)[keyof typeof Component];

export const HealthStatus = { Ok: "ok", Warning: "warning", Critical: "critical", Unknown: "unknown" } as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

const Ms = () => Type.Integer({ minimum: 0 });
const NumOrNull = () => Type.Union([Type.Number(), Type.Null()]);
const Limit = () => Type.Optional(NumOrNull());

/** Threshold values as the BMC reports them; null where the BMC has none. */
export const ThresholdsSchema = Type.Object({
  lnr: Limit(),
  lcr: Limit(),
  lnc: Limit(),
  unc: Limit(),
  ucr: Limit(),
  unr: Limit(),
});
export type Thresholds = { [K in keyof Static<typeof ThresholdsSchema>]-?: number | null };

/** One sensor sample (docs/contract.md section 1). */
export const ReadingSchema = Type.Object({
  /** sample time, ms since the Unix epoch (UTC) */
  ts: Ms(),
  host: HostName(),
  sensor: Type.String({ minLength: 1, maxLength: 256 }),
  type: OneOf(SensorType),
  unit: Type.String({ maxLength: 64 }),
  /** null = no reading (na/ns/disabled); never 0 for "no reading" */
  value: NumOrNull(),
  status: Type.Optional(Type.String({ maxLength: 64 })),
  thresholds: Type.Optional(ThresholdsSchema),
  /** discrete sensors (presence, redundancy) keep their state word here; value is null */
  state: Type.Optional(Type.String({ maxLength: 256 })),
});
export type Reading = Static<typeof ReadingSchema>;

/** What an agent concludes (docs/contract.md section 2). */
export const SensorEventSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256 }),
  /** time of the reading that triggered it, ms */
  ts: Ms(),
  host: HostName(),
  severity: OneOf(Severity),
  kind: OneOf(EventKind),
  component: OneOf(Component),
  sensor: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
  predictedFailureAt: Type.Union([Ms(), Type.Null()]),
  confidence: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  /**
   * set when the danger comes from outside the host (optional: older agents never send it); an EventCause value.
   * Any short word is accepted, so a newer agent's cause is kept and ignored rather than its event refused.
   */
  cause: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type SensorEvent = Static<typeof SensorEventSchema>;

/** A batch of readings published on presage.v1.readings.<host>. */
export const ReadingBatchSchema = Type.Object({
  host: HostName(),
  readings: Type.Array(ReadingSchema, { maxItems: 10_000 }),
});
export type ReadingBatch = Static<typeof ReadingBatchSchema>;

/** Agent heartbeat on presage.v1.health.<host>. */
export const HeartbeatSchema = Type.Object({
  host: HostName(),
  /** agent clock, ms */
  ts: Ms(),
  /** worst open condition on this host */
  status: OneOf(HealthStatus),
  /** open conditions, one line each */
  conditions: Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 1000 }),
  /** host CPU utilisation 0..100 if known (load balancing input) */
  cpuUtilPct: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()])),
  /** whether the host is powered on as far as the agent can tell */
  powerOn: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  /** failed polls in a row of its sources (0 when all answer) */
  sourceFailures: Type.Optional(Type.Integer({ minimum: 0 })),
  agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
});
export type Heartbeat = Static<typeof HeartbeatSchema>;

export const readingCheck = checkOf(ReadingSchema);
export const eventCheck = checkOf(SensorEventSchema);
export const batchCheck = checkOf(ReadingBatchSchema);
export const heartbeatCheck = checkOf(HeartbeatSchema);

export const parseReading = (text: string) => parseJson<Reading>(readingCheck, text);
export const parseEvent = (text: string) => parseJson<SensorEvent>(eventCheck, text);
