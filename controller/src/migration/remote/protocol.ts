/**
 * Wire format of a MigrationEngine served over NATS request/reply (remote.ts). Every request and reply
 * is JSON and is checked against these schemas on receipt, on both sides. The objects are not Strict: the
 * hand-written validators they replace ignored unknown keys, and a newer peer may add a field.
 */
import { type Check, checkOf, HostName, type Static, Tagged, type TSchema, Type } from "@presage/shared";
import {
  EngineHostSchema,
  EngineId,
  EngineVmSchema,
  MigrateSettingsSchema,
  MigrationProgressSchema,
} from "../engine.js";
import { InjectedFailureSchema } from "../sim/model.js";

export const DEFAULT_ENGINE_PREFIX = "presage.v1.sim.engine";

export const engineSubjects = (prefix: string) => ({
  /** hosts and vms are paged: { offset, limit } -> { items, next } (big fleets do not fit one NATS message) */
  hosts: `${prefix}.hosts`,
  vms: `${prefix}.vms`,
  locate: `${prefix}.locate`,
  active: `${prefix}.active`,
  migrate: `${prefix}.migrate`,
  status: `${prefix}.status`,
  cancel: `${prefix}.cancel`,
  /** server -> clients: MigrationProgress, throttled per migration; terminal phases always sent */
  progress: `${prefix}.progress`,
  /** simulator-only controls for chaos tests and the demo */
  hostUp: `${prefix}.control.host-up`,
  inject: `${prefix}.control.inject`,
  clearFailures: `${prefix}.control.clear-failures`,
});

export type EngineSubjects = ReturnType<typeof engineSubjects>;

const ReplyErrorSchema = Type.Object({
  code: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 4000 }),
  /** QEMU host helper (qemu/host-client.ts): the QMP error class, so the engine sees a QmpError */
  qmpClass: Type.Optional(Type.String({ maxLength: 128 })),
});
const FailedReplySchema = Type.Object({ ok: Type.Literal(false), error: ReplyErrorSchema });

/** A reply whose `value` has schema `value`; checking the whole reply names the bad path ("value.items[2].host"). */
export const replyOf = <V extends TSchema>(value: V) =>
  Tagged("ok", [Type.Object({ ok: Type.Literal(true), value }), FailedReplySchema]);
export type Reply<T> = { ok: true; value: T } | Static<typeof FailedReplySchema>;

const PageRequestSchema = Type.Object({
  offset: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 20_000 }),
});
export type PageRequest = Static<typeof PageRequestSchema>;
const pageOf = <I extends TSchema>(item: I) =>
  Type.Object({
    items: Type.Array(item, { maxItems: 20_000 }),
    next: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  });

const MigrationIdRequestSchema = Type.Object({ migrationId: EngineId() });
/** a request without parameters: any body is accepted */
const EmptySchema = Type.Unknown();
const NullSchema = Type.Null();
const ProgressOrNullSchema = Type.Union([MigrationProgressSchema, Type.Null()]);

/** Per operation (an engineSubjects key): the request schema and what a successful reply's value holds. */
export const EngineOps = {
  hosts: { request: PageRequestSchema, reply: pageOf(EngineHostSchema) },
  vms: { request: PageRequestSchema, reply: pageOf(EngineVmSchema) },
  locate: { request: Type.Object({ vm: EngineId() }), reply: Type.Union([HostName(), Type.Null()]) },
  active: { request: EmptySchema, reply: Type.Array(MigrationProgressSchema, { maxItems: 1_000_000 }) },
  migrate: {
    request: Type.Object({ vm: EngineId(), to: HostName(), ...MigrateSettingsSchema.properties }),
    reply: MigrationProgressSchema,
  },
  status: { request: MigrationIdRequestSchema, reply: ProgressOrNullSchema },
  cancel: { request: MigrationIdRequestSchema, reply: NullSchema },
  hostUp: { request: Type.Object({ host: HostName(), up: Type.Boolean() }), reply: NullSchema },
  inject: { request: InjectedFailureSchema, reply: NullSchema },
  clearFailures: { request: EmptySchema, reply: NullSchema },
};
export type EngineOp = keyof typeof EngineOps;
export type EngineRequest<K extends EngineOp> = Static<(typeof EngineOps)[K]["request"]>;
export type EngineReply<K extends EngineOp> = Static<(typeof EngineOps)[K]["reply"]>;

const checksOf = (pick: (op: EngineOp) => TSchema) =>
  Object.fromEntries(Object.keys(EngineOps).map((op) => [op, checkOf(pick(op as EngineOp))])) as Record<
    EngineOp,
    Check
  >;
export const requestChecks = checksOf((op) => EngineOps[op].request);
/** the whole reply, so a bad value is reported with its path */
export const replyChecks = checksOf((op) => replyOf(EngineOps[op].reply));
export const progressCheck = checkOf(MigrationProgressSchema);
