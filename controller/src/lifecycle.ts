/**
 * The host state machine (docs/contract.md section 5), as a pure function of (state, trigger).
 * Every allowed transition is listed; anything else is a ForbiddenTransition error that names
 * both the state and the trigger, so an operator sees why (e.g. `repaired` on a healthy host).
 */
import { ErrorCode, HostState, OpsError } from "@presage/shared";

export const Trigger = {
  /** a warning event */
  Warning: "warning",
  /** a critical degradation or failure event */
  Critical: "critical",
  /** every open condition of the host cleared */
  Cleared: "cleared",
  /** the controller starts moving VMs off a degraded host */
  EvacuationStarted: "evacuation-started",
  /** the host runs no VM any more */
  Evacuated: "evacuated",
  /** an operator says the hardware is fixed */
  Repaired: "repaired",
  /** every home VM that fits is back */
  Returned: "returned",
  MaintenanceEnter: "maintenance-enter",
  MaintenanceExit: "maintenance-exit",
  /** the hypervisor engine reports the host down */
  EngineDown: "engine-down",
  /** an operator rejected the proposed evacuation plan (manual mode) */
  PlanRejected: "plan-rejected",
} as const;
export type Trigger = (typeof Trigger)[keyof typeof Trigger];

const S = HostState;
type Table = Partial<Record<HostState, Partial<Record<Trigger, HostState>>>>;

const table: Table = {
  [S.Healthy]: {
    warning: S.Suspect,
    critical: S.Degraded,
    cleared: S.Healthy,
    "maintenance-enter": S.Maintenance,
    "engine-down": S.Failed,
  },
  [S.Suspect]: {
    warning: S.Suspect,
    critical: S.Degraded,
    cleared: S.Healthy,
    "maintenance-enter": S.Maintenance,
    "engine-down": S.Failed,
  },
  [S.Degraded]: {
    warning: S.Degraded,
    critical: S.Degraded,
    "evacuation-started": S.Evacuating,
    // a plan rejected by an operator leaves the host in place, watched
    "plan-rejected": S.Suspect,
    // nothing was moved yet: a cleared condition simply ends it
    cleared: S.Healthy,
    "maintenance-enter": S.Maintenance,
    "engine-down": S.Failed,
  },
  [S.Evacuating]: {
    warning: S.Evacuating,
    critical: S.Evacuating,
    cleared: S.Evacuating,
    evacuated: S.Quarantined,
    "engine-down": S.Failed,
  },
  [S.Quarantined]: {
    warning: S.Quarantined,
    critical: S.Quarantined,
    cleared: S.Quarantined,
    repaired: S.Returning,
    "engine-down": S.Failed,
  },
  [S.Returning]: {
    warning: S.Returning,
    // degrading again while returning stops the return
    critical: S.Degraded,
    cleared: S.Returning,
    returned: S.Healthy,
    "engine-down": S.Failed,
  },
  [S.Maintenance]: {
    warning: S.Maintenance,
    critical: S.Maintenance,
    cleared: S.Maintenance,
    evacuated: S.Maintenance,
    "maintenance-exit": S.Returning,
    "engine-down": S.Failed,
  },
  [S.Failed]: {
    warning: S.Failed,
    critical: S.Failed,
    cleared: S.Failed,
    "engine-down": S.Failed,
    repaired: S.Returning,
  },
};

export function canTransition(from: HostState, trigger: Trigger): boolean {
  return table[from]?.[trigger] !== undefined;
}

/** The next state, or an OpsError(forbidden_transition) that says why not. */
export function nextState(from: HostState, trigger: Trigger, host = "host"): HostState {
  const to = table[from]?.[trigger];
  if (to === undefined) throw new OpsError(ErrorCode.ForbiddenTransition, forbiddenReason(host, from, trigger));
  return to;
}

function forbiddenReason(host: string, from: HostState, trigger: Trigger): string {
  switch (trigger) {
    case Trigger.Repaired:
      return `${host} is ${from}: only a quarantined or failed host can be marked repaired`;
    case Trigger.MaintenanceEnter:
      return `${host} is ${from}: only a healthy, suspect or degraded host can enter maintenance`;
    case Trigger.MaintenanceExit:
      return `${host} is ${from}, not in maintenance`;
    default:
      return `${host} cannot go from ${from} on ${trigger}`;
  }
}

/** States in which the controller is taking a host out of service (what the safety brake counts). */
export const REMEDIATION_STATES: readonly HostState[] = [S.Evacuating, S.Quarantined, S.Maintenance, S.Failed];

/** States whose VMs must move off the host. */
export const DRAINING_STATES: readonly HostState[] = [S.Evacuating, S.Maintenance];
