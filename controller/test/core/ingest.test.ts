import type { Alert, SensorEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { ingestEvent } from "../../src/ingest.js";
import { Trigger } from "../../src/lifecycle.js";

const ev = (o: Partial<SensorEvent>): SensorEvent => ({
  id: "e1",
  ts: 10_000,
  host: "h1",
  severity: "critical",
  kind: "failure",
  component: "fan",
  sensor: "FAN3",
  reason: "FAN3 reads 0 RPM",
  predictedFailureAt: null,
  confidence: 1,
  ...o,
});

const book = (alerts: Alert[]) => new Map(alerts.map((a) => [a.id, a]));

describe("ingest", () => {
  it("ingest - a stale clearing replayed after a newer critical leaves the host degraded", () => {
    const crit = ingestEvent(ev({}), new Map(), 10_000);
    expect(crit.trigger).toBe(Trigger.Critical);
    const stale = ingestEvent(
      ev({ id: "c0", kind: "cleared", severity: "info", ts: 9_000 }),
      book(crit.alerts),
      10_003,
    );
    expect(stale.alerts).toEqual([]);
    expect(stale.trigger).toBeNull();
    const fresh = ingestEvent(
      ev({ id: "c1", kind: "cleared", severity: "info", ts: 11_000 }),
      book(crit.alerts),
      11_000,
    );
    expect(fresh.trigger).toBe(Trigger.Cleared);
  });
});
