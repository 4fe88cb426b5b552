/**
 * Operator API over NATS (services API on presage.v1.ops.<op>): request schemas shared by the
 * controller (which validates them on receipt) and the `presage` CLI (which builds them).
 * Replies are `{ ok: true, ...data }` or `{ ok: false, error: { code, message } }`; the service
 * also sets the Nats-Service-Error / Nats-Service-Error-Code headers on errors.
 */
import type { ErrorCode } from "./errors.js";
import { type Check, check } from "./schema.js";
import type {
  Alert,
  AuditRecord,
  Heartbeat,
  HostRecord,
  MigrationRecord,
  Reading,
  SensorEvent,
  VmRecord,
} from "./types.js";
import { HostState, Severity } from "./types.js";

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
} as const;
export type OpsEndpoint = (typeof OpsEndpoint)[keyof typeof OpsEndpoint];

export const OPS_SERVICE_NAME = "presage-controller";

const note = check.optional(check.str({ max: 2000 }));
/** an operator's self-declared name; the controller prefers the NATS user when it has one */
const by = check.optional(check.str({ min: 1, max: 128 }));

export const opsRequestChecks: Record<OpsEndpoint, Check> = {
  hosts: check.obj({ state: check.optional(check.oneOf(Object.values(HostState))) }),
  host: check.obj({ host: check.host(), readings: check.optional(check.int({ min: 0, max: 10_000 })) }),
  events: check.obj({
    host: check.optional(check.host()),
    severity: check.optional(check.oneOf(Object.values(Severity))),
    unacked: check.optional(check.bool()),
    open: check.optional(check.bool()),
    limit: check.optional(check.int({ min: 1, max: 10_000 })),
  }),
  ack: check.obj({ target: check.str({ min: 1, max: 256 }), note, by }),
  repaired: check.obj({ host: check.host(), note, by }),
  "maintenance-enter": check.obj({
    hosts: check.array(check.host(), { max: 1000 }),
    reason: note,
    deadline: check.optional(check.nullable(check.int({ min: 0 }))),
    at: check.optional(check.nullable(check.int({ min: 0 }))),
    dryRun: check.optional(check.bool()),
    by,
  }),
  "maintenance-exit": check.obj({ hosts: check.array(check.host(), { max: 1000 }), note, by }),
  migrations: check.obj({
    active: check.optional(check.bool()),
    host: check.optional(check.host()),
    limit: check.optional(check.int({ min: 1, max: 100_000 })),
  }),
  plans: check.obj({}),
  "plan-approve": check.obj({ id: check.str({ min: 1, max: 128 }), note, by }),
  "plan-reject": check.obj({ id: check.str({ min: 1, max: 128 }), note, by }),
  rebalance: check.obj({
    dryRun: check.optional(check.bool()),
    aggressiveness: check.optional(check.int({ min: 1, max: 5 })),
    maxMoves: check.optional(check.int({ min: 1, max: 10_000 })),
    by,
  }),
  status: check.obj({}),
};

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
};

export type PlanMove = { vm: string; from: string; to: string; memoryMiB: number; priority?: number };

export type Plan = {
  id: string;
  kind: "evacuation" | "maintenance" | "return" | "rebalance";
  /** the host being emptied or refilled, if any */
  host: string | null;
  createdAt: number;
  status: "proposed" | "approved" | "rejected" | "executing" | "done" | "failed";
  reason: string;
  moves: PlanMove[];
  /** VMs the planner could not place, with why */
  unplaced: { vm: string; reason: string }[];
  imbalanceBefore?: number | null;
  imbalanceAfter?: number | null;
  /** scheduled plans (maintenance with `at`): when the controller starts it, ms */
  startAt?: number | null;
  /** extra lines for operators (maintenance: drain estimate, deadline check, brake order) */
  details?: string[];
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
    brake: { engaged: boolean; inRemediation: number; limit: number; waiting: string[] };
  };
};
