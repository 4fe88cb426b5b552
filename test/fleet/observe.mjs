/**
 * What the fleet soak watches and how it scores the run: agents' events and the audit trail as they are published
 * (first critical event per host, state transitions, brake alerts, common-cause incidents), CPU and memory of every process from /proc,
 * NATS message counters from each node's /varz, and the end state from the hypervisor's placement.
 */
import { readFileSync } from "node:fs";

/** @param {import("@nats-io/transport-node").NatsConnection} nc */
export function watchFleet(nc) {
  const w = {
    critical: new Map(),
    severities: new Map(),
    evacuating: new Map(),
    quarantined: new Map(),
    transitions: [],
    brake: 0,
    /** common-cause incident alerts: id -> { scope, ts, detail, clearedTs } */
    incidents: new Map(),
    events: 0,
  };
  /** events by severity over `hosts` (garbage with a real host name and a known severity counts too) */
  w.bySeverity = (hosts) => {
    const sum = {};
    for (const h of hosts) for (const [k, n] of Object.entries(w.severities.get(h) ?? {})) sum[k] = (sum[k] ?? 0) + n;
    return sum;
  };
  const decode = (m) => {
    try {
      return m.json();
    } catch {
      return null; // the run's own garbage
    }
  };
  const subs = [
    nc.subscribe("presage.v1.events.>", {
      callback: (_e, m) => {
        const ev = decode(m);
        if (!ev || typeof ev.host !== "string") return;
        const per = w.severities.get(ev.host) ?? {};
        per[ev.severity] = (per[ev.severity] ?? 0) + 1;
        w.severities.set(ev.host, per);
        if (ev.severity !== "critical") return;
        w.events++;
        if (!w.critical.has(ev.host)) w.critical.set(ev.host, { real: Date.now(), ts: ev.ts, reason: ev.reason });
      },
    }),
    nc.subscribe("presage.v1.audit.>", {
      callback: (_e, m) => {
        const a = decode(m);
        if (!a || typeof a.action !== "string") return;
        const alertId = typeof a.data?.alert === "string" ? a.data.alert : "";
        // the brake's own alerts (ctl-brake-<host>-...): one per host it held back
        if (a.action === "alert" && alertId.startsWith("ctl-brake-")) w.brake++;
        if (a.action === "alert" && alertId.startsWith("ctl-cooling-") && !w.incidents.has(alertId))
          w.incidents.set(alertId, { scope: a.host, ts: a.ts, detail: a.detail, clearedTs: null });
        if (a.action === "alert.cleared" && w.incidents.has(alertId)) w.incidents.get(alertId).clearedTs = a.ts;
        if (a.action !== "transition" || !a.host) return;
        const to = a.data?.to;
        w.transitions.push({ host: a.host, from: a.data?.from, to, ts: a.ts, real: Date.now() });
        if (to === "evacuating" && !w.evacuating.has(a.host))
          w.evacuating.set(a.host, {
            ts: a.ts,
            real: Date.now(),
            why: a.detail,
            critical: w.critical.get(a.host)?.reason,
          });
        if (to === "quarantined" && !w.quarantined.has(a.host)) w.quarantined.set(a.host, { ts: a.ts });
      },
    }),
  ];
  w.stop = () => {
    for (const s of subs) s.unsubscribe();
  };
  return w;
}

const TICK_S = 0.01; // /proc/<pid>/stat times are in clock ticks of 1/100 s on Linux

function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuS = (Number(f[11]) + Number(f[12])) * TICK_S;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpuS, rssMiB: rss ? Number(rss[1]) / 1024 : 0 };
  } catch {
    return null; // exited
  }
}

/** Sample every process's CPU seconds and RSS each `everyMs`; a process replaced under the same label adds up. */
export function sampleProcesses(everyMs = 2_000) {
  /** label -> { pid, cpuS (closed pids), last, peakRssMiB, firstAt } */
  const procs = new Map();
  const tick = () => {
    for (const p of procs.values()) {
      const s = p.pid ? procSample(p.pid) : null;
      if (!s) continue;
      p.last = s.cpuS;
      p.peakRssMiB = Math.max(p.peakRssMiB, s.rssMiB);
    }
  };
  const timer = setInterval(tick, everyMs);
  return {
    track(label, pid) {
      tick();
      const p = procs.get(label) ?? { pid: 0, cpuS: 0, last: 0, peakRssMiB: 0, firstAt: Date.now() };
      p.cpuS += p.last; // the previous process under this label (a killed controller) keeps its CPU time
      p.last = 0;
      p.pid = pid;
      procs.set(label, p);
    },
    report(wallS) {
      tick();
      clearInterval(timer);
      return [...procs.entries()].map(([label, p]) => ({
        process: label,
        cpuS: round(p.cpuS + p.last, 1),
        cpuPct: round((100 * (p.cpuS + p.last)) / wallS, 1),
        peakRssMiB: Math.round(p.peakRssMiB),
      }));
    },
  };
}

/** Sum of in_msgs and out_msgs over the nodes still up (a restarted node's counters start again: noted). */
export async function natsCounters(nodes) {
  const out = [];
  for (const n of nodes) {
    if (!n.running) continue;
    try {
      const v = await (await fetch(`${n.monitorUrl}/varz`, { signal: AbortSignal.timeout(2_000) })).json();
      out.push({ node: n.name, inMsgs: v.in_msgs, outMsgs: v.out_msgs, inBytes: v.in_bytes });
    } catch {
      // a node that is down
    }
  }
  return out;
}

export const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** The end state and the latencies from what was watched and the hypervisor's final placement. */
export function score(scenario, watched, hv) {
  const sick = new Set(scenario.sick);
  const placed = new Map();
  let duplicated = 0;
  for (const [vm, host] of hv.placement) {
    if (placed.has(vm)) duplicated++;
    placed.set(vm, host);
  }
  const lost = scenario.vms.filter((v) => !placed.has(v.id)).length;
  const onSick = [...placed.values()].filter((h) => sick.has(h)).length;
  const cooling = coolingIncident(scenario, watched);
  // a cooling-rack host evacuated for its room is reported as such (coolingRackEvacuated, which the test wants 0),
  // not as a false evacuation; any other evacuation of a healthy host is a false one
  const forRoom = new Set(cooling.evacuatedForRoom);
  const falseEvac = [...watched.evacuating.entries()]
    .filter(([h]) => !sick.has(h) && !forRoom.has(h))
    .map(([host, e]) => ({ host, transition: e.why, criticalEvent: e.critical ?? null }));
  const latencyMs = [];
  const latencySimS = [];
  // a sick host that waited more than 10 simulated minutes is listed with why, so a slow P99 can be read
  const slow = [];
  for (const h of scenario.sick) {
    const c = watched.critical.get(h);
    const e = watched.evacuating.get(h);
    if (!c || !e) continue;
    latencyMs.push(Math.max(0, e.real - c.real));
    latencySimS.push(Math.max(0, (e.ts - c.ts) / 1000));
    if (e.ts - c.ts > 10 * 60_000)
      slow.push({
        host: h,
        waitedSimMin: round((e.ts - c.ts) / 60_000, 1),
        critical: c.reason,
        transition: e.why,
        // the host's lifecycle in between, minutes after the critical
        path: watched.transitions
          .filter((t) => t.host === h && t.ts >= c.ts && t.ts <= e.ts)
          .map((t) => `${t.from}->${t.to} +${round((t.ts - c.ts) / 60_000, 1)} min`),
      });
  }
  const makespanMin = [...watched.evacuating.entries()]
    .filter(([h]) => watched.quarantined.has(h))
    .map(([h, e]) => ({ host: h, min: round((watched.quarantined.get(h).ts - e.ts) / 60_000, 1) }));
  return {
    vmsLost: lost,
    vmsDuplicated: duplicated,
    vmsOnSickHost: onSick,
    doubleStarts: hv.doubleStarts,
    falseEvacuations: falseEvac.length,
    falseEvacuated: falseEvac,
    staleSourceMoves: hv.wrongSource,
    sickHosts: scenario.sick.length,
    sickDetected: scenario.sick.filter((h) => watched.critical.has(h)).length,
    sickEvacuated: scenario.sick.filter((h) => watched.evacuating.has(h)).length,
    coolingRackEvacuated: cooling.evacuated.length,
    coolingIncident: cooling.report,
    eventToEvacuationMs: { p50: percentile(latencyMs, 50), p99: percentile(latencyMs, 99), n: latencyMs.length },
    eventToEvacuationSimS: { p50: percentile(latencySimS, 50), p99: percentile(latencySimS, 99) },
    slowEvacuations: slow,
    makespanSimMin: {
      p50: percentile(
        makespanMin.map((m) => m.min),
        50,
      ),
      max: percentile(
        makespanMin.map((m) => m.min),
        100,
      ),
      hosts: makespanMin,
    },
    migrations: { started: hv.migrations, completed: hv.completed, failed: hv.failed, refused: hv.refused },
  };
}

/**
 * The cooling rack's story: which of its hosts the controller saw degraded (an environment-caused critical), held
 * (degraded, never evacuating) or evacuated, and the incident alerts raised for its rack and whether they cleared.
 */
function coolingIncident(scenario, watched) {
  const { hosts, rack, fromMs, toMs } = scenario.cooling;
  const degraded = hosts.filter((h) => watched.transitions.some((t) => t.host === h && t.to === "degraded"));
  const evacuated = hosts.filter((h) => watched.evacuating.has(h));
  const forRoom = evacuated.filter((h) => /room or rack cooling/.test(watched.evacuating.get(h).critical ?? ""));
  const alerts = [...watched.incidents.entries()].map(([id, i]) => ({
    id,
    scope: i.scope,
    cleared: i.clearedTs !== null,
  }));
  const ofRack = alerts.filter((a) => a.scope === `rack-${rack}`);
  return {
    evacuated,
    evacuatedForRoom: forRoom,
    report: {
      rack: `rack-${rack}`,
      windowSimH: [round(fromMs / 3_600_000, 2), round(toMs / 3_600_000, 2)],
      hostsDegraded: degraded.length,
      hostsHeld: degraded.filter((h) => !watched.evacuating.has(h)).length,
      hostsEvacuated: evacuated.length,
      recognised: ofRack.length > 0,
      cleared: ofRack.length > 0 && ofRack.every((a) => a.cleared),
      alerts,
    },
  };
}
