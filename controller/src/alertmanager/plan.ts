/**
 * What to tell Alertmanager and what to take from it, as pure functions of Presage's alerts and AM's silences.
 * Alertmanager keeps an alert only while it is re-sent (its endsAt passes otherwise), so every pass sends
 * every open alert again; a cleared alert is sent resolved for a while after it cleared, which also covers a
 * controller restart. Times Presage sends are wall time (AM's clock), given as `wallNow`.
 */
import type { Alert } from "@presage/shared";

/** Label naming the Presage alert in Alertmanager; silences created for acks match on it. */
export const ALERT_ID_LABEL = "presage_alert_id";
export const ALERT_NAME = "PresageHardwareAlert";
/** Comment prefix of silences Presage creates (so they are not taken back as acks from someone else). */
export const SILENCE_COMMENT = "presage ack";

export type AmAlert = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
};
export type AmMatcher = { name: string; value: string; isRegex: boolean; isEqual?: boolean };
export type AmSilence = {
  id?: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status?: { state: "active" | "pending" | "expired" };
};

export type SyncInput = {
  alerts: readonly Alert[];
  silences: readonly AmSilence[];
  /** controller clock, ms (alert times are on it) */
  now: number;
  wallNow: number;
  intervalMs: number;
  silenceMs: number;
};

export type SyncPlan = {
  push: AmAlert[];
  silences: AmSilence[];
  /** alerts to acknowledge, with who silenced them and why */
  acks: { id: string; actor: string; note: string }[];
  /** ids of silences Presage made for acks whose alert has cleared since */
  expire: string[];
};

const iso = (ms: number) => new Date(ms).toISOString();

export function labelsOf(a: Alert): Record<string, string> {
  return {
    alertname: ALERT_NAME,
    [ALERT_ID_LABEL]: a.id,
    host: a.host,
    severity: a.severity,
    component: a.component,
    sensor: a.sensor ?? "",
  };
}

/** Does a silence's matcher list select these labels (Alertmanager's rules: all matchers, = != =~ !~)? */
export function silenceMatches(s: AmSilence, labels: Record<string, string>): boolean {
  return s.matchers.every((m) => {
    const v = labels[m.name] ?? "";
    let hit: boolean;
    if (m.isRegex) {
      try {
        hit = new RegExp(`^(?:${m.value})$`).test(v);
      } catch {
        return false; // Alertmanager refuses bad regexes; one that got through matches nothing here
      }
    } else hit = v === m.value;
    return m.isEqual === false ? !hit : hit;
  });
}

export function planSync(i: SyncInput): SyncPlan {
  const plan: SyncPlan = { push: [], silences: [], acks: [], expire: [] };
  const active = i.silences.filter((s) => s.status?.state === "active");
  // an alert cleared this long ago has been sent resolved often enough
  const resolvedWindow = 10 * i.intervalMs;
  const cleared = new Set(i.alerts.filter((a) => a.cleared).map((a) => a.id));
  for (const s of active) {
    const on = s.matchers.length === 1 && s.matchers[0]?.name === ALERT_ID_LABEL ? s.matchers[0].value : null;
    // only an alert this controller knows as cleared: another fleet may share the Alertmanager
    if (s.id && on !== null && cleared.has(on) && s.comment.startsWith(SILENCE_COMMENT)) plan.expire.push(s.id);
  }
  for (const a of i.alerts) {
    const labels = labelsOf(a);
    const startsAt = iso(Math.min(i.wallNow, i.wallNow - (i.now - a.openedAt)));
    const annotations = { summary: `${a.host}: ${a.reason}`, description: a.reason };
    if (a.cleared) {
      if (i.now - a.lastEventAt <= resolvedWindow)
        plan.push.push({ labels, annotations, startsAt, endsAt: iso(i.wallNow) });
      continue;
    }
    plan.push.push({ labels, annotations, startsAt, endsAt: iso(i.wallNow + 4 * i.intervalMs) });
    const silencing = active.filter((s) => silenceMatches(s, labels));
    if (a.ack && !silencing.length)
      plan.silences.push({
        matchers: [{ name: ALERT_ID_LABEL, value: a.id, isRegex: false, isEqual: true }],
        startsAt: iso(i.wallNow),
        endsAt: iso(i.wallNow + i.silenceMs),
        createdBy: a.ack.by,
        comment: `${SILENCE_COMMENT}${a.ack.note ? `: ${a.ack.note}` : ""}`,
      });
    const theirs = silencing.find((s) => !s.comment.startsWith(SILENCE_COMMENT));
    if (!a.ack && theirs)
      plan.acks.push({
        id: a.id,
        actor: `alertmanager:${theirs.createdBy}`,
        note: `silence ${theirs.id ?? ""} in Alertmanager: ${theirs.comment}`.trim(),
      });
  }
  return plan;
}
