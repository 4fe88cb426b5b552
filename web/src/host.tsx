/** One host in detail: state and actions, live sensor charts, its VMs, alerts, lifecycle history and audit. */
import { Chart, type Overlay, type Series } from "./chart";
import { duration, time, tone } from "./format";
import { HostActions } from "./host-actions";
import { type HostData, useHostData } from "./host-data";
import { AlertRows, AuditRows, MigrationRows } from "./lists";
import type { Live } from "./store";
import type { Alert, Reading, SensorEvent } from "./types";

const CHARTS: [string, string[]][] = [
  ["fans", ["fan"]],
  ["temperatures", ["temperature"]],
  ["rails", ["voltage", "current"]],
  ["power", ["power"]],
];

/** The event the host is in trouble for: the newest one that names a sensor and has not cleared. */
function causeOf(events: SensorEvent[], eventId: string | null | undefined): SensorEvent | null {
  const byId = eventId ? events.find((e) => e.id === eventId && e.sensor) : undefined;
  return byId ?? events.find((e) => e.sensor && e.kind !== "cleared") ?? null;
}

function thresholdOf(r: Reading | undefined, falling: boolean): number | null {
  const t = r?.thresholds;
  if (!t) return null;
  return (falling ? (t.lcr ?? t.lnc) : (t.ucr ?? t.unc)) ?? null;
}

function overlayFor(data: HostData, cause: SensorEvent | null): Overlay | null {
  const s = cause?.sensor ? data.series.get(cause.sensor) : undefined;
  if (!cause || !s) return null;
  const first = s.values.find((v) => v !== null) ?? null;
  const latest = s.latest.value;
  const falling = s.type === "fan" || (first !== null && latest !== null && latest < first);
  return {
    sensor: s.name,
    eventTs: cause.ts,
    predictedFailureAt: cause.predictedFailureAt,
    threshold: thresholdOf(s.latest, falling),
  };
}

/** The fresher of two copies of an alert: the host reply's, or the live store's. */
function newer(a: Alert, b: Alert | undefined): Alert {
  if (!b) return a;
  if (b.lastEventAt !== a.lastEventAt) return b.lastEventAt > a.lastEventAt ? b : a;
  return (b.ack && !a.ack) || (b.cleared && !a.cleared) ? b : a;
}

function Charts(p: { data: HostData; overlay: Overlay | null }) {
  const all = [...p.data.series.values()];
  return (
    <div class="charts">
      {CHARTS.map(([title, types]) => {
        const series: Series[] = all.filter((s) => types.includes(s.type)).sort((a, b) => a.name.localeCompare(b.name));
        if (!series.length) return null;
        const ov = p.overlay && series.some((s) => s.name === p.overlay?.sensor) ? p.overlay : null;
        return <Chart key={title} title={title} series={series} overlay={ov} />;
      })}
    </div>
  );
}

export function HostView(p: { host: string; live: Live; canAct: boolean }) {
  const data = useHostData(p.host);
  const d = data.detail;
  if (data.error && !d) return <p class="error">{data.error}</p>;
  if (!d) return <p class="muted">loading {p.host}…</p>;
  // the tile's summary is the freshest (the fleet stream); the reply's is the fallback
  const h = p.live.hosts.get(p.host) ?? d.host;
  const cause = causeOf(data.events, h.eventId);
  const overlay = overlayFor(data, cause);
  const migrations = [...p.live.migrations.values()].filter((m) => m.from === p.host || m.to === p.host);
  const lifecycle = d.audit.filter((r) => r.action === "transition").reverse();
  return (
    <section class="host" data-host-view={p.host} data-state={h.state}>
      <h2>
        <a href="#/">fleet</a> / {h.host} <span class={`chip s-${h.state}`}>{h.state}</span>
      </h2>
      <p>
        since {time(h.since)}: {h.reason || "-"}
        {h.predictedFailureAt ? ` · predicted failure ${time(h.predictedFailureAt)}` : ""}
        {h.rack ? ` · rack ${h.rack}` : ""}
        {h.waiting ? ` · ${h.waiting}` : ""}
      </p>
      <p>
        agent: <span class={tone(d.health?.status ?? "unknown")}>{d.health?.status ?? "no heartbeat"}</span>
        {d.health?.conditions.length ? ` (${d.health.conditions.join("; ")})` : ""} · CPU {h.cpuUsed}/{h.cpuCapacity} ·
        memory {Math.round(h.memoryUsedMiB / 1024)}/{Math.round(h.memoryCapacityMiB / 1024)} GiB
      </p>
      <HostActions host={h} canAct={p.canAct} onDone={data.reload} />
      {cause && (
        <p class="cause" data-cause={cause.sensor ?? ""}>
          <span class={tone(cause.severity)}>{cause.severity}</span> {cause.kind} on {cause.sensor}: {cause.reason}
          {cause.predictedFailureAt
            ? ` (fails in ~${duration(cause.predictedFailureAt - cause.ts)} after the event)`
            : ""}
        </p>
      )}
      <Charts data={data} overlay={overlay} />
      <h3>VMs ({d.vms.length})</h3>
      <table class="list" data-vms-of={p.host}>
        <tbody>
          {d.vms.map((v) => (
            <tr key={v.id} data-vm={v.id} data-vm-host={v.host} data-vm-home={v.home}>
              <td>{v.id}</td>
              <td>{v.host === p.host ? "here" : <a href={`#/host/${encodeURIComponent(v.host)}`}>on {v.host}</a>}</td>
              <td>{v.home === p.host ? "home" : `home ${v.home}`}</td>
              <td>
                {v.vcpus} vCPU, {Math.round(v.memoryMiB / 1024)} GiB
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Migrations</h3>
      <MigrationRows migrations={migrations} />
      <h3>Alerts</h3>
      <AlertRows alerts={d.alerts.map((a) => newer(a, p.live.alerts.get(a.id)))} canAct={p.canAct} />
      <h3>Lifecycle</h3>
      <AuditRows records={lifecycle} />
      <h3>Audit</h3>
      <AuditRows records={[...d.audit].reverse()} />
    </section>
  );
}
