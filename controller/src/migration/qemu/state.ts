/** The QEMU engine's state: its options, the migration record kept in the state dir, what QMP reports of a VM. */
import type { Logger } from "@presage/shared";
import type { MigrationPhase, MigrationProgress } from "../engine.js";
import type { TimedRecord } from "../records.js";
import type { QemuHostOps, QemuHostSpec, Qmp } from "./host.js";

export type QemuEngineOptions = {
  /** keep it short: unix socket paths must stay under 108 bytes */
  stateDir: string;
  hosts: QemuHostSpec[];
  qemuBin?: string;
  /** "tcg" (default, works everywhere) or "kvm" */
  accel?: string;
  /** default max-bandwidth, bytes/s. Default 1.25e9 (10 GbE); QEMU's own default is only 128 MiB/s */
  bandwidthBps?: number;
  /** default 300 ms */
  downtimeLimitMs?: number;
  /** let QEMU throttle a guest that dirties memory faster than the link (policy for non-convergence) */
  autoConverge?: boolean;
  /** default give-up deadline when the caller sets none; null: none */
  deadlineMs?: number | null;
  /** target start + connection must be done within this. Default 20_000 */
  setupTimeoutMs?: number;
  /** fail when no byte moves for this long (a cut network stalls TCP for minutes). Default 10_000 */
  stallTimeoutMs?: number;
  /** query-migrate interval. Default 100 */
  pollMs?: number;
  /** builds the ops for hosts with `helper: true` (QemuHelperClient over NATS) */
  helperHost?: (spec: QemuHostSpec) => QemuHostOps;
  log?: Logger;
};

export type QemuRecord = TimedRecord & { bandwidthBps: number };

export type QueryMigrate = {
  status?: string;
  ram?: {
    transferred?: number;
    remaining?: number;
    total?: number;
    "dirty-pages-rate"?: number;
    "page-size"?: number;
    "dirty-sync-count"?: number;
  };
  "expected-downtime"?: number;
  "cpu-throttle-percentage"?: number;
  "error-desc"?: string;
  "socket-address"?: { port?: string | number }[];
};

/** VM run states where this process is the VM (not a half-migrated copy). */
export const OWNER_STATES = new Set([
  "running",
  "paused",
  "finish-migrate", // the source during stop-and-copy: still the VM until the target runs
  "prelaunch",
  "suspended",
  "debug",
  "watchdog",
  "guest-panicked",
  "io-error",
]);

/** Progress from one `query-migrate` answer, on top of the last known (fields QEMU left out stay). */
export function progressFromQuery(phase: MigrationPhase, last: MigrationProgress, q: QueryMigrate): MigrationProgress {
  const ram = q.ram ?? {};
  const p: MigrationProgress = {
    ...last,
    transferredBytes: ram.transferred ?? last.transferredBytes,
    remainingBytes: ram.remaining ?? last.remainingBytes,
    totalBytes: ram.total ?? last.totalBytes,
  };
  if (ram["dirty-pages-rate"] !== undefined) p.dirtyRateBps = ram["dirty-pages-rate"] * (ram["page-size"] ?? 4096);
  if (q["expected-downtime"] !== undefined) p.expectedDowntimeMs = q["expected-downtime"];
  if (ram["dirty-sync-count"] !== undefined) p.round = ram["dirty-sync-count"];
  if (q["cpu-throttle-percentage"] !== undefined) p.cpuThrottlePct = q["cpu-throttle-percentage"];
  p.phase = phase;
  return p;
}

/** Ask every host's QEMU for this VM what it is; the one in an owner state is the VM. */
export async function whereRuns(
  hosts: Iterable<QemuHostOps>,
  vmId: string,
): Promise<{ host: string; status: string } | null> {
  for (const h of hosts) {
    try {
      if ((await h.pid(vmId)) === null) continue;
      const c = await h.qmp(vmId);
      const st = await c.execute<{ status: string }>("query-status", undefined, 5_000);
      if (OWNER_STATES.has(st.status)) return { host: h.spec.name, status: st.status };
    } catch {
      // not answering: not a running VM
    }
  }
  return null;
}

/** A source paused for stop-and-copy runs on when the migration fails. */
export async function resumeSource(src: Qmp): Promise<void> {
  const st = await src.execute<{ status: string }>("query-status").catch(() => null);
  if (st && st.status !== "running" && st.status !== "shutdown") await src.execute("cont").catch(() => {});
}
