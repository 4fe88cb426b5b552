/** The simulator's model, as data and pure steps: fleet specs, a migration's state, bandwidth shares. */
import { type Clock, HostName, type Logger, type Static, Strict, Type } from "@presage/shared";
import { Count, EngineId, type MigrationPhase, type MigrationProgress, Rack } from "../engine.js";
import type { MigrationTracker } from "../tracker.js";

export const MiB = 1024 * 1024;

/** Fleet files are Strict like configs: a misspelt key (e.g. "dirtyRateMibps") must not silently become a default. */
export const SimHostSpecSchema = Strict({
  name: HostName(),
  cpuCapacity: Count(),
  memoryMiB: Count(),
  rack: Rack(),
  /** default true */
  up: Type.Optional(Type.Boolean()),
});
export type SimHostSpec = Static<typeof SimHostSpecSchema>;

export const SimVmSpecSchema = Strict({
  id: EngineId(),
  host: HostName(),
  memoryMiB: Type.Number({ minimum: 1 }),
  vcpus: Count(),
  cpuDemand: Type.Optional(Count()),
  /** default 0 (idle guest) */
  dirtyRateMiBps: Type.Optional(Count()),
  /** default true */
  running: Type.Optional(Type.Boolean()),
});
export type SimVmSpec = Static<typeof SimVmSpecSchema>;

/** A fleet file: `{ "hosts": [...], "vms": [...] }`. */
export const SimFleetSchema = Strict({
  hosts: Type.Array(SimHostSpecSchema, { maxItems: 1_000_000 }),
  vms: Type.Array(SimVmSpecSchema, { maxItems: 10_000_000 }),
});
export type SimFleet = Static<typeof SimFleetSchema>;

/** What to do when the round limit is hit and the remainder still exceeds the downtime limit. */
export const NonConvergencePolicySchema = Type.Enum(["force", "fail"]);
export type NonConvergencePolicy = Static<typeof NonConvergencePolicySchema>;

export type SimEngineOptions = SimFleet & {
  clock: Clock;
  seed?: number;
  /** per host NIC, bytes/s; concurrent migrations through a NIC share it. Default 1.25e9 (10 GbE) */
  linkBandwidthBps?: number;
  /** default 300 ms (QEMU's default) */
  downtimeLimitMs?: number;
  /** default 30 */
  maxRounds?: number;
  /** default "force" */
  onNoConvergence?: NonConvergencePolicy;
  /**
   * throttle a guest that is not converging, as QEMU's auto-converge does with the QEMU engine's settings:
   * from round 3 its dirty rate is cut by 50 %, then 20 points more per round, up to 99 %. Default false
   */
  autoConverge?: boolean;
  /** fixed cost before the first byte moves (target start, handshake). Default 100 ms */
  setupMs?: number;
  /** how often the ticker advances the model, in clock ms. Default 100 */
  tickMs?: number;
  log?: Logger;
};

/** A failure the simulator injects (chaos tests, the demo); the remote protocol's inject request. */
export const InjectedFailureSchema = Type.Object({
  kind: Type.Enum(["target-dies", "network-cut", "slow"]),
  /** only migrations of this VM (default: any) */
  vm: Type.Optional(EngineId()),
  /** only migrations from or to this host (default: any) */
  host: Type.Optional(HostName()),
  /** target-dies/network-cut: fail once this fraction of the VM's memory has been sent. Default 0.5 */
  atFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** slow: bandwidth multiplier. Default 0.1 */
  factor: Type.Optional(Type.Number({ minimum: 0 })),
  /** how many migrations it hits. Default 1 for failures, unlimited for slow */
  times: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type InjectedFailure = Static<typeof InjectedFailureSchema>;
export type FailureKind = InjectedFailure["kind"];

export type Host = { name: string; cpuCapacity: number; memoryMiB: number; rack: string | null; up: boolean };
export type Vm = {
  id: string;
  host: string;
  memoryMiB: number;
  vcpus: number;
  cpuDemand: number | undefined;
  dirtyRateMiBps: number;
  running: boolean;
};

export type Stage = "setup" | "precopy" | "stopcopy";

export type Sim = {
  id: string;
  tracker: MigrationTracker;
  vm: Vm;
  from: string;
  to: string;
  stage: Stage;
  setupLeftMs: number;
  round: number;
  totalBytes: number;
  /** bytes still to send in this round (or in stop-and-copy) */
  leftBytes: number;
  /** dirtied since the current round began */
  dirtyBytes: number;
  transferredBytes: number;
  dirtyBps: number;
  /** auto-converge vCPU throttle, percent */
  throttlePct: number;
  capBps: number;
  slowFactor: number;
  downtimeLimitMs: number;
  deadlineMs: number | null;
  deadlineAt: number | null;
  failAtBytes: number | null;
  failError: string;
  /** bandwidth share in the current step */
  rateBps: number;
};

/** float slack: time in ms, bytes in bytes (sub-byte remainders are rounding, not data) */
export const EPS = 1e-6;
export const BYTE_EPS = 1;

export function matches(r: InjectedFailure, m: Sim): boolean {
  if (r.vm !== undefined && r.vm !== m.vm.id) return false;
  if (r.host !== undefined && r.host !== m.from && r.host !== m.to) return false;
  return true;
}

export function applyRule(r: InjectedFailure & { left: number }, m: Sim): void {
  r.left--;
  if (r.kind === "slow") {
    m.slowFactor *= r.factor ?? 0.1;
    return;
  }
  const at = (r.atFraction ?? 0.5) * m.totalBytes;
  m.failAtBytes = Math.max(at, m.transferredBytes);
  m.failError =
    r.kind === "target-dies"
      ? `target QEMU on ${m.to} died mid-migration`
      : `network cut between ${m.from} and ${m.to}`;
}

export function progressOf(m: Sim, phase: MigrationPhase): MigrationProgress {
  const remaining = phase === "completed" ? 0 : m.stage === "setup" ? m.totalBytes : m.leftBytes + m.dirtyBytes;
  const p: MigrationProgress = {
    migrationId: m.id,
    vm: m.vm.id,
    from: m.from,
    to: m.to,
    phase,
    transferredBytes: Math.round(m.transferredBytes),
    remainingBytes: Math.round(remaining),
    totalBytes: m.totalBytes,
  };
  if (m.stage !== "setup") p.round = m.round;
  if (m.dirtyBps) p.dirtyRateBps = Math.round(m.dirtyBps);
  if (m.throttlePct) p.cpuThrottlePct = m.throttlePct;
  if (m.rateBps > 0 && m.stage === "precopy") p.expectedDowntimeMs = Math.round((m.dirtyBytes / m.rateBps) * 1000);
  return p;
}

/** Bandwidth each active migration gets right now. */
export function assignRates(active: readonly Sim[], linkBps: number): void {
  const users = new Map<string, number>();
  for (const m of active) {
    if (m.stage === "setup") continue;
    users.set(m.from, (users.get(m.from) ?? 0) + 1);
    users.set(m.to, (users.get(m.to) ?? 0) + 1);
  }
  for (const m of active) {
    if (m.stage === "setup") {
      m.rateBps = 0;
      continue;
    }
    const share = linkBps / Math.max(users.get(m.from) ?? 1, users.get(m.to) ?? 1);
    m.rateBps = Math.min(share, m.capBps) * m.slowFactor;
  }
}

export function advance(m: Sim, ms: number): void {
  if (m.stage === "setup") {
    m.setupLeftMs -= ms;
    return;
  }
  const sent = Math.min(m.leftBytes, (m.rateBps * ms) / 1000);
  m.leftBytes -= sent;
  m.transferredBytes += sent;
  if (m.stage === "precopy") m.dirtyBytes = Math.min(m.totalBytes, m.dirtyBytes + (m.dirtyBps * ms) / 1000);
}
