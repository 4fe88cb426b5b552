import type { Alert } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { dueEscalations } from "../../src/alerts.js";
import { reconcileAlerts } from "../../src/runtime/observe.js";

const alert = (id: string, o: Partial<Alert> = {}): Alert => ({
  id,
  host: "h1",
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
  const all = [
    alert("ev-warning"),
    alert("ev-critical", { severity: "critical" }),
    alert("ev-critical-cleared", { severity: "critical", cleared: true }),
    alert("ev-critical-acked", { severity: "critical", ack: { by: "op", at: 1, note: "" } }),
    alert("ctl-vanished-vm7", { severity: "critical", cleared: true }),
    alert("ctl-capacity-h1", { ack: { by: "op", at: 1, note: "" } }),
  ];
  const full = new Map(all.map((a) => [a.id, a]));

  it("observe - keeps the controller's own alerts and the open unacknowledged criticals, nothing else", () => {
    expect([...reconcileAlerts(full.entries()).keys()].sort()).toEqual([
      "ctl-capacity-h1",
      "ctl-vanished-vm7",
      "ev-critical",
    ]);
  });

  it("observe - escalations and controller-alert lookups come out as from the whole bucket", () => {
    const kept = reconcileAlerts(full.entries());
    const later = 10 * 3_600_000;
    expect(dueEscalations(kept.values(), later, 3_600_000)).toEqual(dueEscalations(full.values(), later, 3_600_000));
    for (const id of full.keys()) if (id.startsWith("ctl-")) expect(kept.has(id)).toBe(full.has(id));
  });
});
