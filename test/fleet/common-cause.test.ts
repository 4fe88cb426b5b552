/**
 * The real detector's output into the real controller logic, in one process and without NATS: simulated hosts
 * (agent/src/sim) of a rack whose room goes +20 C, and one host of another rack whose own inlet does (a blocked
 * front panel); every event goes through ingestEvent and the lifecycle table as the controller applies them,
 * then reconcile decides. The rack is one incident (held, not evacuated), the lone host is evacuated.
 */
import { type Alert, EventCause, type HostRecord, HostState } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../agent/src/detect/index.js";
import { createHostModel } from "../../agent/src/sim/host.js";
import { controllerConfig } from "../../controller/src/config.js";
import { ingestEvent } from "../../controller/src/ingest.js";
import { nextState } from "../../controller/src/lifecycle.js";
import { reconcile } from "../../controller/src/reconcile.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1);
const HOT_FROM = T0 + 12 * HOUR;

describe("a rack's cooling failure, from BMC readings to the controller's decision", () => {
  it("the hot rack is one incident whose hosts are held; a lone hot host is evacuated", () => {
    const rack = Array.from({ length: 8 }, (_, i) => ({ name: `r1-${i}`, rack: "rack-1", seed: 7_100 + i }));
    const lone = { name: "r2-0", rack: "rack-2", seed: 7_200 };
    const others = Array.from({ length: 11 }, (_, i) => ({ name: `r2-${i + 1}`, rack: "rack-2", seed: 7_300 + i }));
    const hosts = [...rack, lone, ...others];
    const models = new Map(hosts.map((h) => [h.name, createHostModel({ host: h.name, seed: h.seed })]));
    const detector = createDetector({ horizonMs: 6 * HOUR });
    const records = new Map<string, HostRecord>(
      hosts.map((h) => [h.name, { host: h.name, state: HostState.Healthy, since: T0, reason: "discovered" }]),
    );
    const alerts = new Map<string, Alert>();
    const hot = (name: string, ts: number) =>
      ts >= HOT_FROM && ts < HOT_FROM + 2 * HOUR && (name.startsWith("r1-") || name === lone.name);
    const cfg = controllerConfig({ brake: { maxHosts: 20, maxPercent: 100 } });
    const decide = (now: number) =>
      reconcile({
        now,
        cfg,
        records,
        fleet: {
          hosts: hosts.map((h) => ({
            name: h.name,
            rack: h.rack,
            state: records.get(h.name)?.state ?? HostState.Healthy,
            cpuCapacity: 128,
            memoryMiB: 512 * 1024,
            up: true,
          })),
          vms: [],
        },
        inFlight: [],
        heartbeats: new Map(),
        leaderSince: 0,
        plans: [],
        alerts,
      });
    // the reconcile pass 10 min into the event, after every host has reported
    let during: ReturnType<typeof decide> | null = null;
    for (let ts = T0; ts < HOT_FROM + 40 * MIN; ts += 2 * MIN) {
      if (ts >= HOT_FROM + 30 * MIN && !during) during = decide(ts);
      for (const h of hosts) {
        const m = models.get(h.name);
        // the blocked panel recirculates exhaust: hotter than the rack's room
        m?.setRoomC(hot(h.name, ts) ? (h === lone ? 46 : 42) : null);
        for (const r of m?.sample(ts) ?? [])
          for (const ev of detector.ingest(r)) {
            const out = ingestEvent(ev, alerts, ts);
            for (const a of out.alerts) alerts.set(a.id, a);
            const rec = records.get(ev.host);
            if (out.trigger && rec) {
              const to = nextState(rec.state, out.trigger, rec.host);
              if (to !== rec.state)
                records.set(rec.host, { ...rec, ...out.extra, state: to, since: ts, reason: ev.reason });
            }
          }
      }
    }
    const critical = [...alerts.values()].filter((a) => a.severity === "critical");
    // every critical was the room's, and the rack's hosts reported
    expect(critical.every((a) => a.cause === EventCause.Environment)).toBe(true);
    const reported = new Set(critical.map((a) => a.host));
    expect([...reported].filter((h) => h.startsWith("r1-")).length).toBeGreaterThanOrEqual(3);
    expect(reported.has(lone.name)).toBe(true);
    expect([...reported].filter((h) => h.startsWith("r2-") && h !== lone.name)).toEqual([]);
    const d = during as ReturnType<typeof decide>;
    const started = d.actions.filter((a) => a.kind === "transition" && a.trigger === "evacuation-started");
    expect(started.map((a) => (a as { host: string }).host)).toEqual([lone.name]);
    const incident = d.actions.filter((a) => a.kind === "alert" && a.id.startsWith("ctl-cooling-rack-1-"));
    expect(incident).toHaveLength(1);
    expect(d.brake.held.sort()).toEqual([...reported].filter((h) => h.startsWith("r1-")).sort());
  });
});
