import { type Heartbeat, type HostRecord, HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { assertRepairable, returnWait } from "../../src/return-wait.js";

const rec = (over: Partial<HostRecord> = {}): HostRecord => ({
  host: "n1",
  state: HostState.Returning,
  since: 1_000,
  reason: "marked repaired by ops",
  repairedAt: 1_000,
  lastHeartbeat: 900,
  ...over,
});
const hb = (status: Heartbeat["status"], conditions: string[] = []): Heartbeat => ({
  host: "n1",
  ts: 0,
  status,
  conditions,
});
const base = { now: 11_000, gracePeriodMs: 60_000, away: 2 };

describe("returnWait: why a returning host waits", () => {
  it("names what the agent still reports", () => {
    const w = returnWait({
      ...base,
      record: rec(),
      heartbeat: hb("critical", ["FAN1 fell 40% in 5 min"]),
      info: { lastAt: 10_000, healthySince: null },
    });
    expect(w).toBe("waits for n1's agent to report healthy: it reports critical (FAN1 fell 40% in 5 min)");
  });
  it("counts the grace period down from the later of repair and healthy", () => {
    const w = returnWait({
      ...base,
      record: rec(),
      heartbeat: hb("ok"),
      info: { lastAt: 10_000, healthySince: 5_000 },
    });
    expect(w).toBe("agent healthy; VMs return in 54 s (grace period 60 s)");
  });
  it("after the grace period: the VMs still to come back", () => {
    const w = returnWait({
      ...base,
      now: 100_000,
      record: rec(),
      heartbeat: hb("ok"),
      info: { lastAt: 99_000, healthySince: 5_000 },
    });
    expect(w).toBe("bringing back 2 home VMs");
  });
  it("a host whose agent was seen but not since this controller started waits for a heartbeat", () => {
    expect(returnWait({ ...base, record: rec(), heartbeat: null, info: undefined })).toMatch(/waits for a heartbeat/);
  });
  it("is null for any other state", () => {
    const r = rec({ state: HostState.Quarantined });
    expect(returnWait({ ...base, record: r, heartbeat: hb("ok"), info: { lastAt: 1, healthySince: 1 } })).toBeNull();
  });
});

describe("assertRepairable", () => {
  it("refuses a host whose agent reports critical, saying what it sees and how to override", () => {
    expect(() => assertRepairable("n1", hb("critical", ["FAN1 at 900 RPM"]), false)).toThrow(
      /n1's agent still reports critical \(FAN1 at 900 RPM\).*--force/,
    );
  });
  it("accepts with force, or when the agent reports anything but critical", () => {
    expect(() => assertRepairable("n1", hb("critical"), true)).not.toThrow();
    expect(() => assertRepairable("n1", hb("warning"), false)).not.toThrow();
    expect(() => assertRepairable("n1", null, false)).not.toThrow();
  });
});
