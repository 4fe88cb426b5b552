/**
 * Wire format of a MigrationEngine served over NATS request/reply (remote.ts). Every request and reply
 * is JSON and is checked with these validators on receipt, on both sides.
 */
import { type Check, check } from "@presage/shared";

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

export type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

export const replyCheck: Check = (v, p) => {
  const base = check.obj({ ok: check.bool() })(v, p);
  if (base) return base;
  const o = v as { ok: boolean };
  return o.ok
    ? null
    : check.obj({ error: check.obj({ code: check.str({ max: 64 }), message: check.str({ max: 4000 }) }) })(v, p);
};

const id = check.str({ min: 1, max: 256 });
const count = check.num({ min: 0 });

export const engineHostCheck: Check = check.obj({
  name: check.host(),
  cpuCapacity: count,
  memoryMiB: count,
  up: check.bool(),
  rack: check.optional(check.nullable(check.str({ max: 128 }))),
});

export const engineVmCheck: Check = check.obj({
  id,
  host: check.host(),
  memoryMiB: count,
  vcpus: count,
  cpuDemand: check.optional(count),
  dirtyRateMiBps: check.optional(count),
  running: check.bool(),
});

export const progressCheck: Check = check.obj({
  migrationId: id,
  vm: id,
  from: check.host(),
  to: check.host(),
  phase: check.oneOf(["setup", "active", "completed", "failed", "cancelled"]),
  transferredBytes: count,
  remainingBytes: count,
  totalBytes: count,
  dirtyRateBps: check.optional(count),
  expectedDowntimeMs: check.optional(count),
  round: check.optional(count),
  cpuThrottlePct: check.optional(check.num({ min: 0, max: 100 })),
  error: check.optional(check.str({ max: 4000 })),
});

export const pageRequestCheck: Check = check.obj({
  offset: check.int({ min: 0 }),
  limit: check.int({ min: 1, max: 20_000 }),
});
const pageOf = (item: Check): Check =>
  check.obj({ items: check.array(item, { max: 20_000 }), next: check.nullable(check.int({ min: 0 })) });
export const hostPageCheck: Check = pageOf(engineHostCheck);
export const vmPageCheck: Check = pageOf(engineVmCheck);

export const locateRequestCheck: Check = check.obj({ vm: id });
export const migrationIdRequestCheck: Check = check.obj({ migrationId: id });
export const migrateRequestCheck: Check = check.obj({
  vm: id,
  to: check.host(),
  migrationId: id,
  /** the source the caller expects; the serving engine refuses when the VM is elsewhere */
  from: check.optional(check.host()),
  bandwidthBps: check.optional(check.num({ min: 1 })),
  downtimeLimitMs: check.optional(check.num({ min: 0 })),
  deadlineMs: check.optional(check.num({ min: 0 })),
});
export const hostUpRequestCheck: Check = check.obj({ host: check.host(), up: check.bool() });
export const injectRequestCheck: Check = check.obj({
  kind: check.oneOf(["target-dies", "network-cut", "slow"]),
  vm: check.optional(id),
  host: check.optional(check.host()),
  atFraction: check.optional(check.num({ min: 0, max: 1 })),
  factor: check.optional(check.num({ min: 0 })),
  times: check.optional(check.int({ min: 1 })),
});

export const emptyCheck: Check = check.any();
export const nullCheck: Check = (v, p) => (v === null ? null : `${p || "value"} must be null`);
export const hostOrNullCheck: Check = check.nullable(check.host());
export const progressOrNullCheck: Check = check.nullable(progressCheck);
export const progressListCheck: Check = check.array(progressCheck, { max: 1_000_000 });
