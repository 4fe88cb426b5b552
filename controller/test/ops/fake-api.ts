/**
 * An in-memory ControllerApi for testing the ops service and the CLI without the real controller:
 * a small fleet with one quarantined host, one alert, one migration and one proposed plan, and
 * the same refusals the real controller gives (unknown host, forbidden transition).
 */
import {
  type Alert,
  ErrorCode,
  type HostRecord,
  type HostSummary,
  type MigrationRecord,
  OpsError,
  type Plan,
  type VmRecord,
} from "@presage/shared";
import type { ControllerApi } from "../../src/api.js";

export type FakeCall = { method: string; req: unknown; actor?: string };

export function fakeControllerApi(now = 1_700_000_000_000) {
  const calls: FakeCall[] = [];
  const hosts = new Map<string, HostRecord>(
    [
      { host: "h1", state: "healthy", since: now - 60_000, reason: "" },
      { host: "h2", state: "quarantined", since: now - 30_000, reason: "FAN3 fell 1,900 RPM in 6 h" },
      { host: "h3", state: "healthy", since: now - 60_000, reason: "" },
    ].map((h) => [h.host, h as HostRecord]),
  );
  const vms: VmRecord[] = [
    { id: "vm-1", host: "h1", home: "h1", memoryMiB: 4096, vcpus: 2 },
    { id: "vm-2", host: "h3", home: "h2", memoryMiB: 8192, vcpus: 4 },
  ];
  const alerts: Alert[] = [
    {
      id: "ev-1",
      host: "h2",
      severity: "critical",
      component: "fan",
      sensor: "FAN3",
      reason: "FAN3 fell 1,900 RPM in 6 h",
      openedAt: now - 40_000,
      lastEventAt: now - 40_000,
      cleared: false,
      ack: null,
      escalations: 0,
    },
  ];
  const migrations: MigrationRecord[] = [
    {
      id: "m-1",
      vm: "vm-2",
      from: "h2",
      to: "h3",
      purpose: "evacuation",
      status: "completed",
      startedAt: now - 35_000,
      finishedAt: now - 33_000,
      progress: 1,
    },
  ];
  const plans: Plan[] = [
    {
      id: "p-1",
      kind: "rebalance",
      host: null,
      createdAt: now - 1_000,
      status: "proposed",
      reason: "h1 runs hot",
      moves: [{ vm: "vm-1", from: "h1", to: "h3", memoryMiB: 4096 }],
      unplaced: [],
    },
  ];

  const summary = (h: HostRecord): HostSummary => {
    const on = vms.filter((v) => v.host === h.host);
    return {
      ...h,
      vmCount: on.length,
      cpuCapacity: 32,
      cpuUsed: on.reduce((s, v) => s + v.vcpus, 0),
      memoryCapacityMiB: 131_072,
      memoryUsedMiB: on.reduce((s, v) => s + v.memoryMiB, 0),
      openAlerts: alerts.filter((a) => a.host === h.host && !a.cleared).length,
    };
  };
  const mustHost = (name: string): HostRecord => {
    const h = hosts.get(name);
    if (!h) throw new OpsError(ErrorCode.UnknownHost, `unknown host "${name}": presage hosts lists the fleet`);
    return h;
  };
  const mustPlan = (id: string): Plan => {
    const p = plans.find((x) => x.id === id);
    if (!p) throw new OpsError(ErrorCode.UnknownPlan, `unknown plan "${id}"`);
    return p;
  };
  const record = (method: string, req: unknown, actor?: string) => calls.push({ method, req, actor });

  const api: ControllerApi = {
    async hosts(req) {
      record("hosts", req);
      return { hosts: [...hosts.values()].filter((h) => !req.state || h.state === req.state).map(summary) };
    },
    async host(req) {
      record("host", req);
      const h = mustHost(req.host);
      return {
        host: summary(h),
        vms: vms.filter((v) => v.host === h.host || v.home === h.host),
        alerts: alerts.filter((a) => a.host === h.host),
        health: { host: h.host, ts: now, status: "ok", conditions: [] },
        readings: [{ ts: now, host: h.host, sensor: "FAN3", type: "fan", unit: "RPM", value: 5200 }],
        history: { FAN3: [9000, 8500, 8000, 7200, null, 6100, 5200] },
        audit: [
          { ts: now - 30_000, action: "transition", host: h.host, actor: "controller", detail: "healthy -> degraded" },
        ],
      };
    },
    async events(req) {
      record("events", req);
      const list = alerts.filter(
        (a) =>
          (!req.host || a.host === req.host) &&
          (!req.severity || a.severity === req.severity) &&
          (!req.unacked || !a.ack),
      );
      return { alerts: list, events: [] };
    },
    async ack(req, actor) {
      record("ack", req, actor);
      const hit = alerts.filter((a) => a.id === req.target || a.host === req.target);
      if (!hit.length) throw new OpsError(ErrorCode.UnknownEvent, `no open alert with id or host "${req.target}"`);
      for (const a of hit) a.ack = { by: actor, at: now, note: req.note ?? "" };
      return { acked: hit };
    },
    async repaired(req, actor) {
      record("repaired", req, actor);
      const h = mustHost(req.host);
      if (h.state !== "quarantined" && h.state !== "failed")
        throw new OpsError(
          ErrorCode.ForbiddenTransition,
          `host ${h.host} is ${h.state}: only a quarantined or failed host can be marked repaired`,
        );
      h.state = "returning";
      h.reason = req.note ?? "repaired";
      return { host: h };
    },
    async maintenanceEnter(req, actor) {
      record("maintenanceEnter", req, actor);
      const list = req.hosts.map(mustHost);
      if (!req.dryRun) for (const h of list) h.state = "maintenance";
      const plan: Plan = {
        id: "p-m",
        kind: "maintenance",
        host: list[0]?.host ?? null,
        createdAt: now,
        status: req.dryRun ? "proposed" : "executing",
        reason: req.reason ?? "maintenance",
        moves: [],
        unplaced: [],
      };
      return { hosts: list, plans: [plan], scheduledAt: req.at ?? null };
    },
    async maintenanceExit(req, actor) {
      record("maintenanceExit", req, actor);
      const list = req.hosts.map(mustHost);
      for (const h of list) {
        if (h.state !== "maintenance")
          throw new OpsError(ErrorCode.ForbiddenTransition, `host ${h.host} is ${h.state}, not in maintenance`);
        h.state = "returning";
      }
      return { hosts: list };
    },
    async migrations(req) {
      record("migrations", req);
      return { migrations: migrations.filter((m) => !req.active || m.status === "running" || m.status === "queued") };
    },
    async plans(req) {
      record("plans", req);
      return { plans };
    },
    async planApprove(req, actor) {
      record("planApprove", req, actor);
      const p = mustPlan(req.id);
      p.status = "approved";
      return { plan: p };
    },
    async planReject(req, actor) {
      record("planReject", req, actor);
      const p = mustPlan(req.id);
      p.status = "rejected";
      return { plan: p };
    },
    async rebalance(req, actor) {
      record("rebalance", req, actor);
      const plan = { ...(plans[0] as Plan), id: "p-r", imbalanceBefore: 0.4, imbalanceAfter: 0.1 };
      return { plan, applied: !req.dryRun };
    },
    async status(req) {
      record("status", req);
      return {
        controller: "ctl-1",
        leader: true,
        mode: "auto",
        hostsByState: { healthy: 2, quarantined: 1 },
        vms: vms.length,
        activeMigrations: 0,
        brake: { engaged: false, inRemediation: 1, limit: 2, waiting: [] },
      };
    },
    async audit(req) {
      record("audit", req);
      const records = [
        { ts: now - 20_000, action: "ack", host: "h2", actor: "alice", detail: "acknowledged" },
        { ts: now - 30_000, action: "transition", host: "h2", actor: "controller", detail: "healthy -> degraded" },
      ];
      return { records: records.filter((r) => !req.host || r.host === req.host).slice(0, req.limit ?? 200) };
    },
  };
  return { api, calls, hosts, alerts };
}
