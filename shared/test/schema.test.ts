import { describe, expect, it } from "vitest";
import { EventCause, opsRequestChecks, parseEvent, parseReading, subjects } from "../src/index.js";

const good = { ts: 1, host: "h1", sensor: "FAN1", type: "fan", unit: "RPM", value: null };

describe("schema - readings", () => {
  it("accepts a contract reading with a null value", () => {
    expect(parseReading(JSON.stringify(good)).ok).toBe(true);
  });
  it("rejects host names that are not NATS-token-safe, naming the field", () => {
    const r = parseReading(JSON.stringify({ ...good, host: "h1.evil" }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/host.*invalid host name/);
  });
  it("rejects NaN-like values and unknown types", () => {
    expect(parseReading(JSON.stringify({ ...good, value: "12" })).ok).toBe(false);
    expect(parseReading(JSON.stringify({ ...good, type: "fans" })).ok).toBe(false);
    expect(parseReading("{not json").ok).toBe(false);
  });
  it("ignores unknown fields", () => {
    expect(parseReading(JSON.stringify({ ...good, extra: 1 })).ok).toBe(true);
  });
});

describe("schema - events", () => {
  it("checks severity and confidence range", () => {
    const ev = {
      id: "e1",
      ts: 5,
      host: "h1",
      severity: "critical",
      kind: "degradation",
      component: "fan",
      sensor: "FAN1",
      reason: "FAN1 fell",
      predictedFailureAt: null,
      confidence: 0.9,
    };
    expect(parseEvent(JSON.stringify(ev)).ok).toBe(true);
    expect(parseEvent(JSON.stringify({ ...ev, severity: "fatal" })).ok).toBe(false);
    expect(parseEvent(JSON.stringify({ ...ev, confidence: 2 })).ok).toBe(false);
  });

  it("an optional cause: environment, or a newer agent's word kept; never a non-string", () => {
    const ev = {
      id: "e2",
      ts: 5,
      host: "h1",
      severity: "critical",
      kind: "failure",
      component: "thermal",
      sensor: "Inlet Temp",
      reason: "Inlet Temp at 43 C, at or above its critical 42 C: room or rack cooling",
      predictedFailureAt: 5,
      confidence: 0.95,
    };
    const env = parseEvent(JSON.stringify({ ...ev, cause: EventCause.Environment }));
    expect(env.ok && env.value.cause).toBe("environment");
    expect(parseEvent(JSON.stringify({ ...ev, cause: "power-feed" })).ok).toBe(true);
    expect(parseEvent(JSON.stringify({ ...ev, cause: 3 })).ok).toBe(false);
    expect(parseEvent(JSON.stringify({ ...ev, cause: "" })).ok).toBe(false);
  });
});

describe("schema - ops requests", () => {
  it("refuse unknown keys and name the bad path in the operator's words", () => {
    expect(opsRequestChecks.repaired({ host: "h1", note: "fan swapped" }, "")).toBeNull();
    expect(opsRequestChecks.repaired({ host: "h1", nots: "typo" }, "")).toMatch(/nots is not a known key/);
    expect(opsRequestChecks.status({ by: "alice" }, "")).toMatch(/by is not a known key/);
    expect(opsRequestChecks["maintenance-enter"]({ hosts: ["h1", "a.b"] }, "")).toMatch(
      /hosts\[1\]: invalid host name/,
    );
    expect(opsRequestChecks.events({ severity: "fatal" }, "")).toBe("severity must be one of info, warning, critical");
    expect(opsRequestChecks.rebalance({ aggressiveness: 2.5 }, "")).toBe("aggressiveness must be an integer");
    expect(opsRequestChecks.host([], "")).toBe("message must be a JSON object");
  });
});

describe("subjects", () => {
  it("builds contract subjects and refuses unsafe host tokens", () => {
    expect(subjects.events("h-1")).toBe("presage.v1.events.h-1");
    expect(() => subjects.readings("a.b")).toThrow(/invalid host name/);
  });
});
