import type { Alert, HostRecord } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { controllerConfig } from "../../src/config.js";
import { controllerMetrics, registerStateMetrics } from "../../src/metrics/index.js";
import type { LeaderContext } from "../../src/runtime/context.js";

const host = (h: string, state: HostRecord["state"], since: number, extra: Partial<HostRecord> = {}): HostRecord => ({
  host: h,
  state,
  since,
  reason: "",
  ...extra,
});
const alert = (id: string, severity: Alert["severity"], openedAt: number, extra: Partial<Alert> = {}): Alert => ({
  id,
  host: "h1",
  severity,
  component: "fan",
  sensor: "FAN3",
  reason: "r",
  openedAt,
  lastEventAt: openedAt,
  cleared: false,
  ack: null,
  escalations: 0,
  ...extra,
});

function fakeLeader(now: number): LeaderContext {
  const hosts = [
    host("h1", "evacuating", now - 120_000, { predictedFailureAt: now + 600_000 }),
    host("h2", "healthy", now - 1_000, { lastHeartbeat: now - 5_000 }),
    host("h4", "failed", now - 1_000, { lost: true, lastHeartbeat: now - 300_000 }),
    host("h3", "degraded", now - 60_000),
  ];
  const alerts = [
    alert("a1", "critical", now - 900_000),
    alert("a2", "critical", now - 100_000, { ack: { by: "jane", at: now, note: "" } }),
    alert("a3", "warning", now - 10_000),
    alert("a4", "warning", now - 10_000, { cleared: true }),
  ];
  return {
    cfg: controllerConfig({ migration: { bandwidthBps: 1_048_576 * 100 }, concurrency: { perSource: 2 } }),
    now: () => now,
    store: { hosts: { values: () => hosts.values() }, alerts: { values: () => alerts.values() } },
    brake: {
      engaged: true,
      inRemediation: 2,
      limit: 2,
      waiting: ["h3"],
      held: ["h5", "h6"],
      incidents: [{ id: "ctl-cooling-rack-2-1", scope: "rack-2", hosts: ["h5", "h6"], acked: false }],
    },
    migrations: { inFlight: () => [{ vm: "v1", from: "h1", to: "h2", purpose: "evacuation" }] },
    engineVms: [
      { id: "v1", host: "h1", memoryMiB: 8_000, vcpus: 2, running: true },
      { id: "v2", host: "h1", memoryMiB: 4_000, vcpus: 2, running: true },
    ],
  } as unknown as LeaderContext;
}

describe("controller metrics - state gauges", () => {
  it("state - hosts, alerts, brake, migrations and deadline slack from the leader's state; followers report only leadership", async () => {
    const m = controllerMetrics();
    let leader: LeaderContext | null = fakeLeader(10_000_000);
    registerStateMetrics(m, () => leader);
    const text = await m.render();
    const has = (s: string) => expect(text).toContain(`${s}\n`);
    has("presage_leader 1");
    has('presage_hosts{state="evacuating"} 1');
    has('presage_hosts{state="quarantined"} 0');
    has("presage_hosts_agent_lost 1");
    has('presage_host_heartbeat_age_seconds{host="h2"} 5');
    has('presage_host_heartbeat_age_seconds{host="h4"} 300');
    has('presage_host_state_seconds{host="h1",state="evacuating"} 120');
    has('presage_alerts_open{severity="critical"} 2');
    has('presage_alerts_open{severity="warning"} 1');
    has('presage_alerts_unacknowledged{severity="critical"} 1');
    has('presage_alert_unacknowledged_age_seconds{severity="critical"} 900');
    has('presage_alert_unacknowledged_age_seconds{severity="info"} 0');
    has("presage_brake_engaged 1");
    has("presage_hosts_waiting 1");
    has("presage_hosts_held 2");
    has("presage_common_cause_incidents 1");
    has('presage_migrations_in_flight{purpose="evacuation"} 1');
    has('presage_migrations_in_flight{purpose="rebalance"} 0');
    // 600 s to the deadline, 12,000 MiB at 100 MiB/s two at a time = 60 s
    has('presage_evacuation_deadline_slack_seconds{host="h1"} 540');
    expect(text).not.toContain('presage_evacuation_deadline_slack_seconds{host="h3"}'); // no prediction
    leader = null;
    const follower = await m.render();
    expect(follower).toContain("presage_leader 0\n");
    expect(follower).not.toMatch(/^presage_hosts\{/m);
    expect(follower).toContain("# TYPE presage_hosts gauge");
  });
});
