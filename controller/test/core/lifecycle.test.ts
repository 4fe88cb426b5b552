import { HostState, OpsError } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { canTransition, nextState, Trigger } from "../../src/lifecycle.js";

const S = HostState;

describe("lifecycle", () => {
  it("lifecycle - the evacuation and return path of the contract", () => {
    let s: HostState = S.Healthy;
    const path: [Trigger, HostState][] = [
      [Trigger.Warning, S.Suspect],
      [Trigger.Critical, S.Degraded],
      [Trigger.EvacuationStarted, S.Evacuating],
      [Trigger.Evacuated, S.Quarantined],
      [Trigger.Repaired, S.Returning],
      [Trigger.Returned, S.Healthy],
    ];
    for (const [t, want] of path) {
      s = nextState(s, t);
      expect(s).toBe(want);
    }
  });

  it("lifecycle - warnings never start an evacuation; cleared ends suspicion", () => {
    expect(nextState(S.Healthy, Trigger.Warning)).toBe(S.Suspect);
    expect(nextState(S.Suspect, Trigger.Warning)).toBe(S.Suspect);
    expect(nextState(S.Suspect, Trigger.Cleared)).toBe(S.Healthy);
    for (const st of Object.values(S)) expect(nextState.bind(null, st, Trigger.Warning)).not.toThrow();
    for (const st of Object.values(S))
      if (st !== S.Degraded) expect(canTransition(st, Trigger.EvacuationStarted)).toBe(false);
  });

  it("lifecycle - degrading again while returning stops the return", () => {
    expect(nextState(S.Returning, Trigger.Critical)).toBe(S.Degraded);
  });

  it("lifecycle - maintenance enters from healthy, suspect or degraded and exits to returning", () => {
    for (const st of [S.Healthy, S.Suspect, S.Degraded])
      expect(nextState(st, Trigger.MaintenanceEnter)).toBe(S.Maintenance);
    expect(nextState(S.Maintenance, Trigger.MaintenanceExit)).toBe(S.Returning);
    expect(nextState(S.Maintenance, Trigger.Evacuated)).toBe(S.Maintenance);
  });

  it("lifecycle - the engine reporting a host down fails it from any state", () => {
    for (const st of Object.values(S)) expect(nextState(st, Trigger.EngineDown)).toBe(S.Failed);
    expect(nextState(S.Failed, Trigger.Repaired)).toBe(S.Returning);
  });

  it("lifecycle - repaired on a healthy host is a clear error, not a silent change", () => {
    let err: unknown;
    try {
      nextState(S.Healthy, Trigger.Repaired, "h1");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("forbidden_transition");
    expect((err as OpsError).message).toBe("h1 is healthy: only a quarantined or failed host can be marked repaired");
  });

  it("lifecycle - other forbidden transitions name the state and the trigger", () => {
    const forbidden: [HostState, Trigger][] = [
      [S.Evacuating, Trigger.Repaired],
      [S.Returning, Trigger.Repaired],
      [S.Quarantined, Trigger.MaintenanceEnter],
      [S.Healthy, Trigger.MaintenanceExit],
      [S.Healthy, Trigger.Evacuated],
      [S.Quarantined, Trigger.Returned],
      [S.Evacuating, Trigger.MaintenanceEnter],
    ];
    for (const [st, t] of forbidden) {
      expect(canTransition(st, t), `${st} on ${t}`).toBe(false);
      expect(() => nextState(st, t, "h9")).toThrow(/h9 .*(is|cannot)/);
    }
  });
});
