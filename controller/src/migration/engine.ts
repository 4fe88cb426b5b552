/**
 * The one interface between the controller and a hypervisor. Implementations: QEMU over QMP
 * (qemu/), libvirt (libvirt/), the pre-copy simulator (sim/) and a client for an engine served
 * over NATS (remote/).
 */
import { ErrorCode, OpsError } from "@presage/shared";

/** Every engine's guard against a stale plan: refuse when the VM is not on the expected source. */
export function assertSource(vmId: string, actual: string | null, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected)
    throw new OpsError(
      ErrorCode.Conflict,
      `VM ${vmId} is on ${actual ?? "no host"}, not on ${expected} where the migration expects it`,
    );
}

export type EngineHost = {
  name: string;
  /** vCPUs the host offers to VMs */
  cpuCapacity: number;
  memoryMiB: number;
  /** false when the engine cannot reach the host (host down, helper gone) */
  up: boolean;
  /** failure domain, if the engine knows it */
  rack?: string | null;
};

export type EngineVm = {
  id: string;
  /** where the hypervisor says the VM runs now */
  host: string;
  memoryMiB: number;
  vcpus: number;
  /** current CPU use in vCPUs, if the engine measures it */
  cpuDemand?: number;
  /** memory dirty rate, MiB/s, if known */
  dirtyRateMiBps?: number;
  running: boolean;
};

export type MigrationPhase = "setup" | "active" | "completed" | "failed" | "cancelled";

export type MigrationProgress = {
  migrationId: string;
  vm: string;
  from: string;
  to: string;
  phase: MigrationPhase;
  transferredBytes: number;
  remainingBytes: number;
  totalBytes: number;
  dirtyRateBps?: number;
  expectedDowntimeMs?: number;
  /** pre-copy pass number (1 = first full copy; QEMU's dirty-sync-count) */
  round?: number;
  /** how much auto-converge slows the guest's vCPUs, percent */
  cpuThrottlePct?: number;
  /** set when phase is failed */
  error?: string;
};

export type MigrateOptions = {
  /** caller-chosen id; engines must refuse a second start with the same id (idempotency) */
  migrationId: string;
  /**
   * where the caller saw the VM when it planned the move; every engine refuses (conflict) when
   * the VM is elsewhere, so a plan made on a stale view never moves a VM a second time. The
   * controller always sets it; without it only the VM's current host is used.
   */
  from?: string;
  bandwidthBps?: number;
  downtimeLimitMs?: number;
  /** give up (cancel) when not converged after this long */
  deadlineMs?: number;
  onProgress?: (p: MigrationProgress) => void;
};

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
