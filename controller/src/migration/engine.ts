/**
 * The one interface between the controller and a hypervisor. Implementations: QEMU over QMP
 * (qemu/), libvirt (libvirt/), the pre-copy simulator (sim/) and a client for an engine served
 * over NATS (remote/).
 */
import { ErrorCode, HostName, OpsError, type Static, Type } from "@presage/shared";

/** Every engine's guard against a stale plan: refuse when the VM is not on the expected source. */
export function assertSource(vmId: string, actual: string | null, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected)
    throw new OpsError(
      ErrorCode.Conflict,
      `VM ${vmId} is on ${actual ?? "no host"}, not on ${expected} where the migration expects it`,
    );
}

/** a VM or migration id as engines exchange them */
export const EngineId = () => Type.String({ minLength: 1, maxLength: 256 });
/** sizes, rates and counts: finite and not negative */
export const Count = () => Type.Number({ minimum: 0 });
/** failure domain, if known: absent, null or a rack name */
export const Rack = () => Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()]));

export const EngineHostSchema = Type.Object({
  name: HostName(),
  /** vCPUs the host offers to VMs */
  cpuCapacity: Count(),
  memoryMiB: Count(),
  /** false when the engine cannot reach the host (host down, helper gone) */
  up: Type.Boolean(),
  rack: Rack(),
});
export type EngineHost = Static<typeof EngineHostSchema>;

export const EngineVmSchema = Type.Object({
  id: EngineId(),
  /** where the hypervisor says the VM runs now */
  host: HostName(),
  memoryMiB: Count(),
  vcpus: Count(),
  /** current CPU use in vCPUs, if the engine measures it */
  cpuDemand: Type.Optional(Count()),
  /** memory dirty rate, MiB/s, if known */
  dirtyRateMiBps: Type.Optional(Count()),
  running: Type.Boolean(),
});
export type EngineVm = Static<typeof EngineVmSchema>;

export const MigrationPhaseSchema = Type.Enum(["setup", "active", "completed", "failed", "cancelled"]);
export type MigrationPhase = Static<typeof MigrationPhaseSchema>;

export const MigrationProgressSchema = Type.Object({
  migrationId: EngineId(),
  vm: EngineId(),
  from: HostName(),
  to: HostName(),
  phase: MigrationPhaseSchema,
  transferredBytes: Count(),
  remainingBytes: Count(),
  totalBytes: Count(),
  dirtyRateBps: Type.Optional(Count()),
  expectedDowntimeMs: Type.Optional(Count()),
  /** pre-copy pass number (1 = first full copy; QEMU's dirty-sync-count) */
  round: Type.Optional(Count()),
  /** how much auto-converge slows the guest's vCPUs, percent */
  cpuThrottlePct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  /** set when phase is failed */
  error: Type.Optional(Type.String({ maxLength: 4000 })),
});
export type MigrationProgress = Static<typeof MigrationProgressSchema>;

/** What a caller sets for one migration (the data of MigrateOptions; the remote protocol sends it as is). */
export const MigrateSettingsSchema = Type.Object({
  /** caller-chosen id; engines must refuse a second start with the same id (idempotency) */
  migrationId: EngineId(),
  /**
   * where the caller saw the VM when it planned the move; every engine refuses (conflict) when
   * the VM is elsewhere, so a plan made on a stale view never moves a VM a second time. The
   * controller always sets it; without it only the VM's current host is used.
   */
  from: Type.Optional(HostName()),
  bandwidthBps: Type.Optional(Type.Number({ minimum: 1 })),
  downtimeLimitMs: Type.Optional(Type.Number({ minimum: 0 })),
  /** give up (cancel) when not converged after this long */
  deadlineMs: Type.Optional(Type.Number({ minimum: 0 })),
});
export type MigrateOptions = Static<typeof MigrateSettingsSchema> & { onProgress?: (p: MigrationProgress) => void };

export interface MigrationHandle {
  readonly migrationId: string;
  /** settles with the final progress (completed, failed or cancelled); never rejects */
  readonly done: Promise<MigrationProgress>;
  cancel(): Promise<void>;
  /** the latest progress the engine knows (all engines in this package provide it) */
  current?(): MigrationProgress;
}

export interface MigrationEngine {
  readonly kind: string;
  listHosts(): Promise<EngineHost[]>;
  listVms(): Promise<EngineVm[]>;
  /** the truth about where a VM is (after a failure or a controller restart); null if nowhere */
  locate(vmId: string): Promise<string | null>;
  /** migrations the engine knows are still running (for crash-resume) */
  activeMigrations(): Promise<MigrationProgress[]>;
  /** start a live migration; rejects at once if the VM or target is unknown or the id is already used */
  migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle>;
  /** re-attach to a running migration by id after a restart; null if it is not running */
  attach(migrationId: string, onProgress?: (p: MigrationProgress) => void): Promise<MigrationHandle | null>;
  close(): Promise<void>;
}
