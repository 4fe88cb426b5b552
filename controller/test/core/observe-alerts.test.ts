import { type Alert, EventCause, type HostRecord, HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { dueEscalations } from "../../src/alerts.js";
import { commonCause } from "../../src/common-cause.js";
import { controllerConfig } from "../../src/config.js";
import type { HostView } from "../../src/model.js";
import { reconcileAlerts } from "../../src/runtime/observe.js";

const alert = (id: string, o: Partial<Alert> = {}): Alert => ({
  id,
  host: "h9",
  severity: "warning",
  component: "fan",
  sensor: "FAN1",
  reason: "drifting",
  openedAt: 0,
  lastEventAt: 0,
  cleared: false,
  ack: null,
  escalations: 0,
  ...o,
});

describe("observe - the alerts a reconcile pass reads", () => {
  const env = { severity: "critical", cause: EventCause.Environment } as const;
  const all = [
    alert("ev-warning"),
    alert("room-h1", { ...env, host: "h1", openedAt: 1_000 }),
    alert("room-h2", { ...env, host: "h2", openedAt: 2_000, ack: { by: "op", at: 3_000, note: "" } }),
    alert("room-h3", { ...env, host: "h3", openedAt: 2_500 }),
    alert("room-h3-old", { ...env, host: "h3", openedAt: 500, cleared: true }),
    alert("ev-critical", { severity: "critical" }),
    alert("ev-critical-cleared", { severity: "critical", cleared: true }),
    alert("ev-critical-acked", { severity: "critical", ack: { by: "op", at: 1, note: "" } }),
    alert("ctl-vanished-vm7", { severity: "critical", cleared: true }),
    alert("ctl-capacity-h1", { ack: { by: "op", at: 1, note: "" } }),
  ];
  const full = new Map(all.map((a) => [a.id, a]));

  it("observe - keeps the controller's own alerts and the open criticals, nothing else", () => {
    expect([...reconcileAlerts(full.entries()).keys()].sort()).toEqual([
      "ctl-capacity-h1",
      "ctl-vanished-vm7",
      "ev-critical",
      "ev-critical-acked",
      "room-h1",
      "room-h2",
      "room-h3",
    ]);
  });

  it("observe - escalations, common causes and controller-alert lookups come out as from the whole bucket", () => {
    const kept = reconcileAlerts(full.entries());
    const later = 10 * 3_600_000;
    expect(dueEscalations(kept.values(), later, 3_600_000)).toEqual(dueEscalations(full.values(), later, 3_600_000));
    for (const id of full.keys()) if (id.startsWith("ctl-")) expect(kept.has(id)).toBe(full.has(id));
    // three degraded hosts of one rack, hot together: a cooling incident, from either map
    const hosts = ["h1", "h2", "h3"];
    const records = new Map<string, HostRecord>(
      hosts.map((h) => [
        h,
        { host: h, state: HostState.Degraded, since: 0, reason: "hot", lastHeartbeat: null, lost: false },
      ]),
    );
    const views: HostView[] = hosts.map((name) => ({
      name,
      state: HostState.Degraded,
      cpuCapacity: 32,
      memoryMiB: 65_536,
      up: true,
      rack: "r1",
      cpuUtilPct: null,
    }));
    const cc = (alerts: ReadonlyMap<string, Alert>) =>
      commonCause(controllerConfig().commonCause, { now: 10_000, records, hosts: views, alerts });
    const fromKept = cc(kept);
    expect(fromKept.incidents.map((i) => i.hosts)).toEqual([hosts]);
    expect(fromKept).toEqual(cc(full));
  });
});
