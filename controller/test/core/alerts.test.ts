import type { Alert, SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { ackAlerts, alertsForEvent, dueEscalations } from "../../src/alerts.js";

const ev = (o: Partial<SensorEvent>): SensorEvent => ({
  id: "e1",
  ts: 1_000,
  host: "h1",
  severity: "critical",
  kind: "degradation",
  component: "fan",
  sensor: "FAN3",
  reason: "FAN3 falling",
  predictedFailureAt: null,
  confidence: 0.8,
  ...o,
});

/** the controller saw the event at its stamp (clock skew is the ingest step's business) */
const seen = (alerts: ReadonlyMap<string, Alert>, e: SensorEvent) => alertsForEvent(alerts, e, e.ts);

const book = (alerts: Alert[]) => new Map(alerts.map((a) => [a.id, a]));

describe("alerts", () => {
  it("alerts - a critical or warning event opens an alert with the event's id; info does not", () => {
    const [a] = seen(new Map(), ev({}));
    expect(a).toMatchObject({ id: "e1", host: "h1", severity: "critical", cleared: false, ack: null, escalations: 0 });
    expect(seen(new Map(), ev({ id: "w", severity: "warning" }))).toHaveLength(1);
    expect(seen(new Map(), ev({ id: "i", severity: "info" }))).toHaveLength(0);
  });

  it("alerts - redelivery changes nothing; a repeat of the condition refreshes the open alert", () => {
    const first = seen(new Map(), ev({}));
    const b = book(first);
    expect(seen(b, ev({}))).toEqual([]);
    const [again] = seen(b, ev({ id: "e2", ts: 2_000, reason: "worse" }));
    expect(again).toMatchObject({ id: "e1", lastEventAt: 2_000, reason: "worse" });
  });

  it("alerts - cleared closes the open alerts of that sensor only", () => {
    const b = book([...seen(new Map(), ev({})), ...seen(new Map(), ev({ id: "p1", component: "psu", sensor: "PS1" }))]);
    const closed = seen(b, ev({ id: "c1", kind: "cleared", severity: "info", ts: 5_000 }));
    expect(closed.map((a) => [a.id, a.cleared])).toEqual([["e1", true]]);
  });

  it("alerts - ack by id or by host records who, when and a note", () => {
    const b = book([...seen(new Map(), ev({})), ...seen(new Map(), ev({ id: "p1", component: "psu", sensor: "PS1" }))]);
    const byId = ackAlerts(b, "e1", "alice", "fan ordered", 9_000, () => true);
    expect(byId).toHaveLength(1);
    expect(byId[0]?.ack).toEqual({ by: "alice", at: 9_000, note: "fan ordered" });
    expect(
      ackAlerts(b, "h1", "bob", "", 9_000, (h) => h === "h1")
        .map((a) => a.id)
        .sort(),
    ).toEqual(["e1", "p1"]);
    expect(() => ackAlerts(b, "nope", "bob", "", 9_000, () => false)).toThrow(/no alert, host or rack named "nope"/);
    const rack = book([{ ...(seen(new Map(), ev({ id: "ctl-cooling-r1-1" }))[0] as Alert), host: "r1" }]);
    expect(ackAlerts(rack, "r1", "carol", "CRAC fixed", 9_000, () => false).map((a) => a.id)).toEqual([
      "ctl-cooling-r1-1",
    ]);
  });

  it("alerts - unacknowledged criticals come due once per escalation interval", () => {
    const [a] = seen(new Map(), ev({ ts: 0 })) as [Alert];
    expect(dueEscalations([a], 59_999, 60_000)).toEqual([]);
    expect(dueEscalations([a], 60_000, 60_000)).toHaveLength(1);
    expect(dueEscalations([{ ...a, escalations: 1 }], 100_000, 60_000)).toEqual([]);
    expect(dueEscalations([{ ...a, ack: { by: "x", at: 1, note: "" } }], 600_000, 60_000)).toEqual([]);
    expect(dueEscalations([{ ...a, severity: "warning" }], 600_000, 60_000)).toEqual([]);
  });

  it("alerts - open, refresh and close on the controller's clock, whatever the event's own stamp", () => {
    const [a] = alertsForEvent(new Map(), ev({ ts: 9e15 }), 5_000) as [Alert];
    expect(a).toMatchObject({ openedAt: 5_000, lastEventAt: 5_000 });
    expect(dueEscalations([a], 5_000 + 60_000, 60_000)).toHaveLength(1);
    const [closed] = alertsForEvent(book([a]), ev({ id: "c", kind: "cleared", severity: "info", ts: 9e15 }), 7_000);
    expect(closed).toMatchObject({ cleared: true, lastEventAt: 7_000 });
  });

  it("alerts - a clearing stamped before the alert's latest event is old news and closes nothing", () => {
    const b = book(seen(new Map(), ev({ ts: 10_000 })));
    expect(seen(b, ev({ id: "old", kind: "cleared", severity: "info", ts: 9_999 }))).toEqual([]);
    expect(seen(b, ev({ id: "same", kind: "cleared", severity: "info", ts: 10_000 }))).toHaveLength(1);
    // a refresh moves the stamp on; a clearing between the two events is older than the refresh
    const [refreshed] = seen(b, ev({ id: "e2", ts: 20_000 })) as [Alert];
    expect(refreshed.eventTs).toBe(20_000);
    expect(seen(book([refreshed]), ev({ id: "mid", kind: "cleared", severity: "info", ts: 15_000 }))).toEqual([]);
  });

  it("alerts - an alert stored before eventTs existed is closed by any clearing", () => {
    const [a] = seen(new Map(), ev({ ts: 10_000 })) as [Alert];
    const { eventTs: _, ...legacy } = a;
    const [closed] = seen(book([legacy]), ev({ id: "c", kind: "cleared", severity: "info", ts: 1 }));
    expect(closed?.cleared).toBe(true);
  });
});
