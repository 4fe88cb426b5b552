/** Alerts (acknowledge with a note), migrations in flight (progress), plans (approve/reject), the audit trail. */
import { useState } from "preact/hooks";
import { op } from "./api";
import { Field } from "./field";
import { duration, time, tone } from "./format";
import { type Live, live } from "./store";
import type { Alert, AuditRecord, Migration, Plan } from "./types";

function AckForm(p: { alert: Alert; canAct: boolean }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (p.alert.ack)
    return (
      <span class="muted" data-acked-by={p.alert.ack.by}>
        acked by {p.alert.ack.by}
        {p.alert.ack.note ? `: ${p.alert.ack.note}` : ""}
      </span>
    );
  if (!p.canAct) return <span class="muted">log in to acknowledge</span>;
  const ack = async () => {
    setBusy(true);
    try {
      live.putAlerts((await op<{ acked: Alert[] }>("ack", { target: p.alert.id, ...(note ? { note } : {}) })).acked);
    } catch (e) {
      setError((e as Error).message);
    }
    setBusy(false);
  };
  return (
    <span class="ack">
      <Field name="ack-note" placeholder="note" value={note} onValue={setNote} />
      <button type="button" data-ack={p.alert.id} onClick={ack} disabled={busy}>
        acknowledge
      </button>
      {error && <span class="error">{error}</span>}
    </span>
  );
}

/** `isHost` tells hosts from the racks a common-cause incident is filed under (a rack has no host page). */
export function AlertRows(p: { alerts: Alert[]; canAct: boolean; isHost?: (name: string) => boolean }) {
  if (!p.alerts.length) return <p class="muted">no alerts</p>;
  return (
    <table class="list">
      <thead>
        <tr>
          <th>last event</th>
          <th>host</th>
          <th>severity</th>
          <th>what</th>
          <th>state</th>
          <th>acknowledgment</th>
        </tr>
      </thead>
      <tbody>
        {p.alerts.map((a) => (
          <tr key={a.id} data-alert={a.id} data-acked={a.ack ? "yes" : "no"} data-cleared={a.cleared ? "yes" : "no"}>
            <td>{time(a.lastEventAt)}</td>
            <td>
              {(p.isHost?.(a.host) ?? true) ? (
                <a href={`#/host/${encodeURIComponent(a.host)}`}>{a.host}</a>
              ) : (
                <span title="a rack: its hosts share this incident">rack {a.host}</span>
              )}
            </td>
            <td class={tone(a.severity)}>{a.severity}</td>
            <td>
              {a.component}
              {a.sensor ? ` ${a.sensor}` : ""}: {a.reason}
              {a.escalations > 0 && <span class="bad"> (escalated {a.escalations}x)</span>}
            </td>
            <td>{a.cleared ? "cleared" : "open"}</td>
            <td>
              <AckForm alert={a} canAct={p.canAct} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Alerts(p: { live: Live; canAct: boolean }) {
  const [showCleared, setShowCleared] = useState(false);
  const all = [...p.live.alerts.values()].sort((a, b) => b.lastEventAt - a.lastEventAt);
  const shown = showCleared ? all : all.filter((a) => !a.cleared);
  return (
    <section>
      <h2>Alerts</h2>
      <label>
        <input type="checkbox" checked={showCleared} onChange={() => setShowCleared(!showCleared)} /> show cleared
      </label>
      <AlertRows alerts={shown} canAct={p.canAct} isHost={(h) => p.live.hosts.has(h)} />
      <Plans live={p.live} canAct={p.canAct} />
    </section>
  );
}

function PlanRow(p: { plan: Plan; canAct: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const decide = (endpoint: "plan-approve" | "plan-reject") =>
    op(endpoint, { id: p.plan.id }).catch((e) => setError((e as Error).message));
  return (
    <tr data-plan={p.plan.id} data-status={p.plan.status}>
      <td>{time(p.plan.createdAt)}</td>
      <td>{p.plan.kind}</td>
      <td>{p.plan.host ?? "-"}</td>
      <td class={tone(p.plan.status)}>{p.plan.status}</td>
      <td>
        {p.plan.moves.length} moves: {p.plan.reason}
      </td>
      <td>
        {p.plan.status === "proposed" && p.canAct && (
          <>
            <button type="button" data-approve={p.plan.id} onClick={() => decide("plan-approve")}>
              approve
            </button>
            <button type="button" data-reject={p.plan.id} onClick={() => decide("plan-reject")}>
              reject
            </button>
          </>
        )}
        {error && <span class="error">{error}</span>}
      </td>
    </tr>
  );
}

export function Plans(p: { live: Live; canAct: boolean }) {
  const plans = [...p.live.plans.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, 50);
  return (
    <>
      <h2>Plans</h2>
      {p.live.status?.mode === "manual" && <p>Manual mode: evacuations wait for an approved plan.</p>}
      {plans.length === 0 ? (
        <p class="muted">no plans</p>
      ) : (
        <table class="list">
          <tbody>
            {plans.map((pl) => (
              <PlanRow plan={pl} canAct={p.canAct} key={pl.id} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function MigrationRows(p: { migrations: Migration[] }) {
  if (!p.migrations.length) return <p class="muted">no migrations in flight</p>;
  return (
    <table class="list">
      <tbody>
        {p.migrations.map((m) => (
          <tr key={m.id} data-migration={m.id} data-status={m.status}>
            <td>{m.vm}</td>
            <td>
              {m.from} → {m.to}
            </td>
            <td>{m.purpose}</td>
            <td class={tone(m.status)}>{m.status}</td>
            <td class="bar-cell">
              <div class="bar">
                <div style={{ width: `${Math.round(m.progress * 100)}%` }} />
              </div>
              {Math.round(m.progress * 100)}%
            </td>
            <td>{m.startedAt ? duration((m.finishedAt ?? Date.now()) - m.startedAt) : ""}</td>
            <td class="error">{m.error ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Migrations(p: { live: Live }) {
  const list = [...p.live.migrations.values()].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  return (
    <section>
      <h2>Migrations</h2>
      <MigrationRows migrations={list} />
    </section>
  );
}

export function AuditRows(p: { records: AuditRecord[] }) {
  if (!p.records.length) return <p class="muted">no audit records</p>;
  return (
    <table class="list">
      <tbody>
        {p.records.map((r, i) => (
          <tr key={`${r.ts}-${i}`} data-audit={r.action}>
            <td>{time(r.ts)}</td>
            <td>{r.action}</td>
            <td>{r.host ?? ""}</td>
            <td>{r.actor}</td>
            <td>{r.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Audit(p: { live: Live }) {
  const [f, setF] = useState({ host: "", action: "", actor: "", text: "" });
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const t = f.text.toLowerCase();
  const shown = p.live.audit
    .filter(
      (r) =>
        (!f.host || r.host === f.host) &&
        (!f.action || r.action.startsWith(f.action)) &&
        (!f.actor || r.actor === f.actor) &&
        (!t || r.detail.toLowerCase().includes(t)),
    )
    .slice(0, 500);
  return (
    <section>
      <h2>Audit trail</h2>
      <div class="filters">
        <Field name="audit-host" placeholder="host" value={f.host} onValue={set("host")} />
        <Field name="audit-action" placeholder="action (prefix)" value={f.action} onValue={set("action")} />
        <Field name="audit-actor" placeholder="actor" value={f.actor} onValue={set("actor")} />
        <Field name="audit-text" placeholder="text" value={f.text} onValue={set("text")} />
        <span class="muted">{shown.length} shown</span>
      </div>
      <AuditRows records={shown} />
    </section>
  );
}
