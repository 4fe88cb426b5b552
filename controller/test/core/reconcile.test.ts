import { type HostRecord, HostState, type Plan, type VmRecord } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { controllerConfig } from "../../src/config.js";
import type { HostView } from "../../src/model.js";
import { type Action, reconcile, type Snapshot } from "../../src/reconcile.js";

const rec = (host: string, state: HostState, o: Partial<HostRecord> = {}): HostRecord => ({
  host,
  state,
  since: 0,
  reason: "test",
  ...o,
});

function snap(records: HostRecord[], vms: VmRecord[], o: Partial<Snapshot> = {}): Snapshot {
  const hosts: HostView[] = records.map((r) => ({
    name: r.host,
    state: r.state,
    cpuCapacity: 64,
    memoryMiB: 256 * 1024,
    up: true,
  }));
  return {
    now: 100_000,
    cfg: controllerConfig({ returns: { gracePeriodMs: 10_000, waveSize: 2 }, heartbeat: { lostAfterMs: 30_000 } }),
    records: new Map(records.map((r) => [r.host, r])),
    fleet: { hosts, vms },
    inFlight: [],
    heartbeats: new Map(),
    leaderSince: 0,
    plans: [],
    ...o,
  };
}
const vm = (id: string, host: string, home = host): VmRecord => ({ id, host, home, memoryMiB: 4096, vcpus: 2 });
const kinds = (a: Action[]) =>
  a.map((x) =>
    x.kind === "transition"
      ? `${x.kind}:${x.host}:${x.trigger}`
      : x.kind === "migrate"
        ? `migrate:${x.move.vm}`
        : `${x.kind}`,
  );

describe("reconcile", () => {
  it("reconcile - automatic policy starts evacuating a degraded host", () => {
    const { actions } = reconcile(snap([rec("a", HostState.Degraded), rec("b", HostState.Healthy)], [vm("v1", "a")]));
    expect(kinds(actions)).toEqual(["transition:a:evacuation-started"]);
  });

  it("reconcile - an evacuating host gets migrations within limits, then becomes quarantined when empty", () => {
    const vms = Array.from({ length: 5 }, (_, i) => vm(`v${i}`, "a"));
    const s = snap([rec("a", HostState.Evacuating), rec("b", HostState.Healthy), rec("c", HostState.Healthy)], vms);
    const { actions } = reconcile(s);
    expect(actions.filter((a) => a.kind === "migrate")).toHaveLength(2); // perSource default 2
    const empty = reconcile(snap([rec("a", HostState.Evacuating), rec("b", HostState.Healthy)], [vm("v0", "b", "a")]));
    expect(kinds(empty.actions)).toEqual(["transition:a:evacuated"]);
  });

  it("reconcile - a burst of critical hosts trips the brake: one evacuates, the rest wait with an alert", () => {
    const records = [
      ...["a", "b", "c", "d"].map((h) => rec(h, HostState.Degraded)),
      ...Array.from({ length: 6 }, (_, i) => rec(`ok${i}`, HostState.Healthy)),
    ];
    const { actions, brake } = reconcile(snap(records, []));
    expect(actions.filter((a) => a.kind === "transition")).toHaveLength(2); // 20% of 10 hosts
    expect(brake).toMatchObject({ engaged: true, limit: 2, waiting: ["c", "d"] });
    expect(actions.filter((a) => a.kind === "alert").map((a) => (a as { id: string }).id)).toEqual([
      "ctl-brake-c-0",
      "ctl-brake-d-0",
    ]);
  });

  it("reconcile - manual policy proposes a plan and waits for approval", () => {
    const s = snap([rec("a", HostState.Degraded), rec("b", HostState.Healthy)], [vm("v1", "a")]);
    s.cfg.policy.mode = "manual";
    expect(kinds(reconcile(s).actions)).toEqual(["propose"]);
    const proposed: Plan = {
      id: "p1",
      kind: "evacuation",
      host: "a",
      createdAt: 1,
      status: "proposed",
      reason: "",
      moves: [],
      unplaced: [],
    };
    expect(reconcile({ ...s, plans: [proposed] }).actions).toEqual([]);
    const approved = { ...proposed, status: "approved" as const };
    expect(kinds(reconcile({ ...s, plans: [approved] }).actions)).toEqual([
      "transition:a:evacuation-started",
      "plan-status",
    ]);
  });

  it("reconcile - monitor policy (per-host override) only watches", () => {
    const s = snap([rec("a", HostState.Degraded), rec("b", HostState.Healthy)], [vm("v1", "a")]);
    s.cfg.policy.hosts = { a: "monitor" };
    expect(reconcile(s).actions).toEqual([]);
  });

  it("reconcile - returning waits for the grace period of healthy heartbeats, then brings VMs home in waves", () => {
    const records = [
      rec("a", HostState.Returning, { repairedAt: 95_000, lastHeartbeat: 99_000 }),
      rec("b", HostState.Healthy),
    ];
    const vms = ["v1", "v2", "v3"].map((id) => vm(id, "b", "a"));
    const early = snap(records, vms, { heartbeats: new Map([["a", { lastAt: 99_000, healthySince: 80_000 }]]) });
    expect(reconcile(early).actions).toEqual([]);
    const later = { ...early, now: 106_000 };
    expect(kinds(reconcile(later).actions)).toEqual(["migrate:v1", "migrate:v2"]);
    const waveRunning = { ...later, inFlight: [{ vm: "v1", from: "b", to: "a", purpose: "return" as const }] };
    expect(reconcile(waveRunning).actions).toEqual([]);
    const done = snap(
      records,
      vms.map((v) => ({ ...v, host: "a" })),
      { now: 106_000, heartbeats: later.heartbeats },
    );
    expect(kinds(reconcile(done).actions)).toEqual(["transition:a:returned"]);
  });

  it("reconcile - an unhealthy heartbeat restarts the grace period", () => {
    const records = [rec("a", HostState.Returning, { repairedAt: 0 }), rec("b", HostState.Healthy)];
    const s = snap(records, [vm("v1", "b", "a")], {
      heartbeats: new Map([["a", { lastAt: 99_000, healthySince: null }]]),
    });
    expect(reconcile(s).actions).toEqual([]);
  });

  it("reconcile - silent agents are marked lost and alerted, not evacuated", () => {
    const records = [rec("a", HostState.Healthy, { lastHeartbeat: 10_000 }), rec("b", HostState.Healthy)];
    const { actions } = reconcile(snap(records, [vm("v1", "a")]));
    expect(kinds(actions)).toEqual(["lost", "alert"]);
    expect(actions.some((a) => a.kind === "migrate" || a.kind === "transition")).toBe(false);
  });

  it("reconcile - a host the engine reports down becomes failed", () => {
    const s = snap([rec("a", HostState.Healthy), rec("b", HostState.Healthy)], []);
    (s.fleet.hosts[0] as HostView).up = false;
    expect(kinds(reconcile(s).actions)).toEqual(["transition:a:engine-down"]);
  });
});
