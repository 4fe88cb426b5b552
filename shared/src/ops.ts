/**
 * Operator API over NATS (services API on presage.v1.ops.<op>): request schemas shared by the
 * controller (which validates them on receipt) and the `presage` CLI (which builds them).
 * Replies are `{ ok: true, ...data }` or `{ ok: false, error: { code, message } }`; the service
 * also sets the Nats-Service-Error / Nats-Service-Error-Code headers on errors.
 */
import type { ErrorCode } from "./errors.js";
import { type Heartbeat, type Reading, type SensorEvent, Severity } from "./messages.js";
import {
  type Alert,
  type AuditRecord,
  type HostRecord,
  HostState,
  type MigrationRecord,
  type Plan,
  type VmRecord,
} from "./records.js";
import { type Check, checkOf, HostName, OneOf, type Static, Strict, Type } from "./schema.js";

export type { Plan, PlanMove } from "./records.js";

export const OpsEndpoint = {
  Hosts: "hosts",
  Host: "host",
  Events: "events",
  Ack: "ack",
  Repaired: "repaired",
  MaintenanceEnter: "maintenance-enter",
  MaintenanceExit: "maintenance-exit",
  Migrations: "migrations",
  Plans: "plans",
  PlanApprove: "plan-approve",
  PlanReject: "plan-reject",
  Rebalance: "rebalance",
  Status: "status",
  Audit: "audit",
} as const;
export type OpsEndpoint = (typeof OpsEndpoint)[keyof typeof OpsEndpoint];

export const OPS_SERVICE_NAME = "presage-controller";

const note = () => Type.Optional(Type.String({ maxLength: 2000 }));
/** an operator's self-declared name; the controller prefers the NATS user when it has one */
const by = () => Type.Optional(Type.String({ minLength: 1, maxLength: 128 }));
const hostList = () => Type.Array(HostName(), { maxItems: 1000 });
const optMs = () => Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]));

/** Request bodies, one strict object per endpoint: an unknown key is refused (a typo must not be ignored). */
export const OpsRequestSchemas = {
  hosts: Strict({ state: Type.Optional(OneOf(HostState)) }),
  host: Strict({ host: HostName(), readings: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) }),
  events: Strict({
    host: Type.Optional(HostName()),
    severity: Type.Optional(OneOf(Severity)),
    unacked: Type.Optional(Type.Boolean()),
    open: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  }),
  ack: Strict({ target: Type.String({ minLength: 1, maxLength: 256 }), note: note(), by: by() }),
  /** force: mark repaired although the host's agent still reports critical */
  repaired: Strict({ host: HostName(), note: note(), by: by(), force: Type.Optional(Type.Boolean()) }),
  "maintenance-enter": Strict({
    hosts: hostList(),
    reason: note(),
    deadline: optMs(),
    at: optMs(),
    dryRun: Type.Optional(Type.Boolean()),
    by: by(),
  }),
  "maintenance-exit": Strict({ hosts: hostList(), note: note(), by: by() }),
  migrations: Strict({
    active: Type.Optional(Type.Boolean()),
    host: Type.Optional(HostName()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  }),
  plans: Strict({}),
  "plan-approve": Strict({ id: Type.String({ minLength: 1, maxLength: 128 }), note: note(), by: by() }),
  "plan-reject": Strict({ id: Type.String({ minLength: 1, maxLength: 128 }), note: note(), by: by() }),
  rebalance: Strict({
    dryRun: Type.Optional(Type.Boolean()),
    aggressiveness: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    maxMoves: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    by: by(),
  }),
  status: Strict({}),
  /** the latest audit records the controller remembers, newest first; action matches as a prefix */
  audit: Strict({
    host: Type.Optional(HostName()),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  }),
};

/** What each endpoint accepts (inferred from its schema). */
export type OpsRequests = { [E in OpsEndpoint]: Static<(typeof OpsRequestSchemas)[E]> };

export const opsRequestChecks = Object.fromEntries(
  Object.entries(OpsRequestSchemas).map(([e, s]) => [e, checkOf(s)]),
) as Record<OpsEndpoint, Check>;

export type OpsErrorBody = { code: ErrorCode; message: string };
/**
 * `truncated`: present when the reply was cut to fit the server's max_payload, with how many items
 * of each list were left out (e.g. `{ "readings": 9000 }` for a host with too many sensors to send).
 */
export type OpsReply<T> = ({ ok: true; truncated?: Record<string, number> } & T) | { ok: false; error: OpsErrorBody };

// ---- reply payloads (the `...data` part of a successful reply) ----

export type HostSummary = HostRecord & {
  vmCount: number;
  cpuCapacity: number;
  cpuUsed: number;
  memoryCapacityMiB: number;
  memoryUsedMiB: number;
  openAlerts: number;
  /** the rack the hypervisor places it in, when it knows */
  rack?: string | null;
  /** returning hosts: why the VMs are not back yet (agent not healthy, grace period, moves left) */
  waiting?: string;
};

export type OpsReplies = {
  hosts: { hosts: HostSummary[] };
  host: {
    host: HostSummary;
    vms: VmRecord[];
    alerts: Alert[];
    health: Heartbeat | null;
    /** latest reading per sensor, and a short history per sensor for sparklines */
    readings: Reading[];
    history: Record<string, (number | null)[]>;
    /** the sample time (ms) of each history value, same order */
    historyTs?: Record<string, number[]>;
    audit: AuditRecord[];
  };
  events: { alerts: Alert[]; events: SensorEvent[] };
  ack: { acked: Alert[] };
  repaired: { host: HostRecord };
  "maintenance-enter": {
    hosts: HostRecord[];
    plans: Plan[];
    scheduledAt: number | null;
    /** hosts the safety brake holds back; they start in this order as it frees */
    waiting?: string[];
  };
  "maintenance-exit": { hosts: HostRecord[] };
  migrations: { migrations: MigrationRecord[] };
  plans: { plans: Plan[] };
  "plan-approve": { plan: Plan };
  "plan-reject": { plan: Plan };
  rebalance: { plan: Plan; applied: boolean };
  status: {
    controller: string;
    leader: boolean;
    mode: string;
    hostsByState: Record<string, number>;
    vms: number;
    activeMigrations: number;
    brake: {
      engaged: boolean;
      inRemediation: number;
      limit: number;
      waiting: string[];
      /** degraded hosts held by a common-cause incident (absent from older controllers) */
      held?: string[];
      incidents?: { id: string; scope: string; hosts: string[]; acked: boolean }[];
    };
    /** the lease holder as this replica last saw it (itself when leader), null when none is known */
    leaderName?: string | null;
  };
  audit: { records: AuditRecord[] };
};
