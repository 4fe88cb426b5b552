/**
 * Common-cause recognition (common-cause.ts) through the reconcile pass: a rack whose hosts report
 * environment-caused criticals together is one incident (one controller alert, hosts held, nothing evacuated);
 * a lone host with a hot inlet is evacuated after a short settle; the incident ends when its hosts clear or an
 * operator acknowledges it (then the normal brake applies).
 */
import { type Alert, EventCause, type HostRecord, HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { commonCause } from "../../src/common-cause.js";
import { controllerConfig } from "../../src/config.js";
import type { HostView } from "../../src/model.js";
import { type Action, reconcile, type Snapshot } from "../../src/reconcile.js";

const MIN = 60_000;
const T = 10_000_000;

/** three racks of six hosts: rack-0 h00-h05, rack-1 h10-h15, rack-2 h20-h25 */
const NAMES = [0, 1, 2].flatMap((r) => Array.from({ length: 6 }, (_, i) => `h${r}${i}`));
const rackOf = (h: string) => `rack-${h[1]}`;

function alert(host: string, openedAt: number, o: Partial<Alert> = {}): Alert {
  return {
    id: `${host}.Inlet_Temp.1.failure-critical.${openedAt}`,
    host,
    severity: "critical",
    component: "thermal",
    sensor: "Inlet Temp",
    reason: "Inlet Temp at 43 C (+21 C over its level), at or above its critical 42 C: room or rack cooling",
    openedAt,
    lastEventAt: openedAt,
    cleared: false,
    ack: null,
    escalations: 0,
    cause: EventCause.Environment,
    ...o,
  };
}

/** `hot`: host -> minutes after T at which its environment critical opened (the host is degraded since then) */
function snap(hot: Record<string, number>, now: number, extra: Alert[] = [], noRack = false): Snapshot {
  const records = new Map<string, HostRecord>();
  const alerts = new Map<string, Alert>(extra.map((a) => [a.id, a]));
  for (const h of NAMES) {
    const at = hot[h];
    const degraded = at !== undefined;
    records.set(h, { host: h, state: degraded ? HostState.Degraded : HostState.Healthy, since: T, reason: "test" });
    if (degraded) {
      const a = alert(h, T + at * MIN);
      if (!alerts.has(a.id)) alerts.set(a.id, a);
    }
  }
  const hosts: HostView[] = NAMES.map((h) => ({
    name: h,
    state: records.get(h)?.state ?? HostState.Healthy,
    cpuCapacity: 64,
    memoryMiB: 256 * 1024,
    up: true,
    rack: noRack ? null : rackOf(h),
  }));
  return {
    now,
    cfg: controllerConfig({ brake: { maxHosts: 3, maxPercent: 50 } }),
    records,
    fleet: { hosts, vms: [] },
    inFlight: [],
    heartbeats: new Map(),
    leaderSince: 0,
    plans: [],
    alerts,
  };
}

const evacuated = (a: Action[]) =>
  a
    .filter((x) => x.kind === "transition" && x.trigger === "evacuation-started")
    .map((x) => (x as { host: string }).host);
const raised = (a: Action[]) => a.filter((x) => x.kind === "alert") as Extract<Action, { kind: "alert" }>[];
const RACK1 = { h10: 0, h11: 1, h12: 2, h13: 4, h14: 5 };

describe("common cause", () => {
  it("a rack too hot at once: one controller alert for the rack, its hosts held, none evacuated", () => {
    const { actions, brake } = reconcile(snap(RACK1, T + 6 * MIN));
    expect(evacuated(actions)).toEqual([]);
    const alerts = raised(actions);
    expect(alerts.map((a) => [a.id, a.host, a.severity])).toEqual([[`ctl-cooling-rack-1-${T}`, "rack-1", "critical"]]);
    expect(alerts[0]?.reason).toMatch(/cooling incident: 5 hosts of rack-1 .*held, not evacuated/);
    expect(brake).toMatchObject({ engaged: true, held: ["h10", "h11", "h12", "h13", "h14"], waiting: [] });
    expect(brake.incidents).toEqual([
      { id: `ctl-cooling-rack-1-${T}`, scope: "rack-1", hosts: ["h10", "h11", "h12", "h13", "h14"], acked: false },
    ]);
  });

  it("hosts that report further apart than the window are not one incident", () => {
    const far = { h10: 0, h11: 20, h12: 40 };
    const { actions, brake } = reconcile(snap(far, T + 60 * MIN));
    expect(evacuated(actions)).toEqual(["h10", "h11", "h12"]);
    expect(brake.incidents).toEqual([]);
  });

  it("a lone host with a hot inlet (a blocked front panel) waits settleMs for rack-mates, then is evacuated", () => {
    const early = reconcile(snap({ h21: 0 }, T + 2 * MIN));
    expect(evacuated(early.actions)).toEqual([]);
    expect(early.brake.held).toEqual(["h21"]);
    expect(raised(early.actions)).toEqual([]);
    const later = reconcile(snap({ h21: 0 }, T + 5 * MIN));
    expect(evacuated(later.actions)).toEqual(["h21"]);
    expect(later.brake).toMatchObject({ engaged: false, held: [], incidents: [] });
  });

  it("a host of the hot rack with a fault of its own is evacuated, not held for the room", () => {
    const own = alert("h15", T + 3 * MIN, { id: "h15.FAN2.1.failure-critical", sensor: "FAN2", cause: undefined });
    const { actions, brake } = reconcile(snap({ ...RACK1, h15: 3 }, T + 6 * MIN, [own]));
    expect(evacuated(actions)).toEqual(["h15"]);
    expect(brake.held).not.toContain("h15");
  });

  it("acknowledging the incident releases its hosts under the normal brake", () => {
    const id = `ctl-cooling-rack-1-${T}`;
    const incident: Alert = {
      ...alert("rack-1", T, { id, component: "host", sensor: null, cause: undefined }),
      ack: { by: "ops", at: T + 7 * MIN, note: "CRAC 4 down, moving load" },
    };
    const { actions, brake } = reconcile(snap(RACK1, T + 8 * MIN, [incident]));
    expect(evacuated(actions)).toEqual(["h10", "h11", "h12"]); // the brake: 3 hosts
    expect(brake).toMatchObject({ engaged: true, held: [], waiting: ["h13", "h14"] });
    expect(brake.incidents[0]).toMatchObject({ id, acked: true });
  });

  it("while its alert is open the incident keeps its last hosts: clearing one by one evacuates none", () => {
    const id = `ctl-cooling-rack-1-${T}`;
    const open = alert("rack-1", T, { id, component: "host", sensor: null, cause: undefined });
    const { actions, brake } = reconcile(snap({ h13: 4 }, T + 90 * MIN, [open]));
    expect(evacuated(actions)).toEqual([]);
    expect(brake.held).toEqual(["h13"]);
    expect(actions.filter((a) => a.kind === "alert-clear")).toEqual([]);
  });

  it("the cause clears (every host back to healthy): the incident alert is cleared, nothing else happens", () => {
    const id = `ctl-cooling-rack-1-${T}`;
    const open = alert("rack-1", T, { id, component: "host", sensor: null, cause: undefined });
    const { actions, brake } = reconcile(snap({}, T + 3 * 60 * MIN, [open]));
    // (the escalation due in the same pass is dropped by the applier once the alert is cleared)
    expect(actions.filter((a) => a.kind !== "escalate")).toEqual([
      expect.objectContaining({ kind: "alert-clear", id }),
    ]);
    expect(brake).toMatchObject({ engaged: false, held: [], incidents: [] });
  });

  it("hosts without a rack: a large share of the fleet too hot at once is one fleet-wide incident", () => {
    const s = snap({ h01: 0, h12: 1, h24: 2 }, T + 6 * MIN, [], true);
    const cc = commonCause(s.cfg.commonCause, {
      now: s.now,
      records: s.records,
      hosts: s.fleet.hosts,
      alerts: s.alerts ?? new Map(),
    });
    expect(cc.incidents.map((i) => [i.scope, i.hosts])).toEqual([["fleet", ["h01", "h12", "h24"]]]);
    expect([...cc.held].sort()).toEqual(["h01", "h12", "h24"]);
  });
});
