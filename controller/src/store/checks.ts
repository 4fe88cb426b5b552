/** Validators for what the controller reads back from KV: a corrupt record is skipped, never trusted. */
import { type Check, check, HostState, MigrationPurpose, MigrationStatus, Severity } from "@presage/shared";

const num = check.num();
const optNullNum = check.optional(check.nullable(num));
const optNullStr = check.optional(check.nullable(check.str()));

export const hostRecordCheck: Check = check.obj({
  host: check.host(),
  state: check.oneOf(Object.values(HostState)),
  since: num,
  reason: check.str(),
  eventId: optNullStr,
  lastHeartbeat: optNullNum,
  lost: check.optional(check.bool()),
  predictedFailureAt: optNullNum,
  repairedAt: optNullNum,
});

export const vmRecordCheck: Check = check.obj({
  id: check.str({ min: 1 }),
  host: check.str({ min: 1 }),
  home: check.str({ min: 1 }),
  memoryMiB: num,
  vcpus: num,
  priority: check.optional(num),
  antiAffinityGroup: optNullStr,
});

export const alertCheck: Check = check.obj({
  id: check.str({ min: 1 }),
  host: check.str({ min: 1 }),
  severity: check.oneOf(Object.values(Severity)),
  reason: check.str(),
  openedAt: num,
  lastEventAt: num,
  cleared: check.bool(),
  escalations: num,
});

export const migrationRecordCheck: Check = check.obj({
  id: check.str({ min: 1 }),
  vm: check.str({ min: 1 }),
  from: check.str({ min: 1 }),
  to: check.str({ min: 1 }),
  purpose: check.oneOf(Object.values(MigrationPurpose)),
  status: check.oneOf(Object.values(MigrationStatus)),
  startedAt: check.nullable(num),
  finishedAt: check.nullable(num),
  progress: num,
});

export const planCheck: Check = check.obj({
  id: check.str({ min: 1 }),
  kind: check.oneOf(["evacuation", "maintenance", "return", "rebalance"]),
  host: check.nullable(check.str()),
  createdAt: num,
  status: check.oneOf(["proposed", "approved", "rejected", "executing", "done", "failed"]),
  reason: check.str(),
  moves: check.array(check.any()),
  unplaced: check.array(check.any()),
});

export const leaseCheck: Check = check.obj({
  holder: check.str({ min: 1 }),
  expiresAt: num,
  acquiredAt: num,
});
