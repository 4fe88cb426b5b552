/**
 * Why a returning host still waits, in one line for `presage hosts` (pure: the same inputs reconcile's
 * `graceOver` reads). And the check behind `presage repaired` refusing a host whose agent still reports
 * critical: a "repaired" host that is not would get its VMs back only to lose them again.
 */
import { ErrorCode, type Heartbeat, type HostRecord, OpsError } from "@presage/shared";
import type { HeartbeatInfo } from "./reconcile.js";

const secs = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))} s`;

/** What the agent still reports, e.g. `critical (FAN1 fell 30% ...; CPU2 ...)` */
export function agentSees(hb: Heartbeat): string {
  return hb.conditions.length ? `${hb.status} (${hb.conditions.join("; ")})` : hb.status;
}

export type ReturnWaitInput = {
  record: HostRecord;
  heartbeat: Heartbeat | null;
  info: HeartbeatInfo | undefined;
  now: number;
  gracePeriodMs: number;
  /** home VMs of this host that run elsewhere */
  away: number;
};

/** null unless the host is returning. */
export function returnWait(i: ReturnWaitInput): string | null {
  const { record: r, heartbeat: hb, info, now } = i;
  if (r.state !== "returning") return null;
  const since = r.repairedAt ?? r.since;
  if (!hb || !info) {
    if (r.lastHeartbeat != null)
      return `waits for a heartbeat from ${r.host}'s agent (none since the controller started)`;
    const left = since + i.gracePeriodMs - now;
    return left > 0
      ? `no agent; VMs return ${secs(left)} after the repair (grace period)`
      : `${i.away} VMs to bring back`;
  }
  if (info.healthySince === null) return `waits for ${r.host}'s agent to report healthy: it reports ${agentSees(hb)}`;
  const left = Math.max(info.healthySince, since) + i.gracePeriodMs - now;
  if (left > 0) return `agent healthy; VMs return in ${secs(left)} (grace period ${secs(i.gracePeriodMs)})`;
  return i.away ? `bringing back ${i.away} home VM${i.away === 1 ? "" : "s"}` : "all home VMs are back";
}

/** Throws unless `force`, when the host's latest heartbeat says critical. */
export function assertRepairable(host: string, hb: Heartbeat | null, force: boolean): void {
  if (force || hb?.status !== "critical") return;
  throw new OpsError(
    ErrorCode.Conflict,
    `${host}'s agent still reports ${agentSees(hb)}; fix it (or wait for the agent to see the fix) and retry, or mark it repaired anyway with --force`,
  );
}
