import { createServer } from "node:http";
import type { Alert } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { AlertmanagerClient, redactUrl } from "../../src/alertmanager/client.js";
import { ALERT_ID_LABEL, type AmSilence, labelsOf, planSync, silenceMatches } from "../../src/alertmanager/plan.js";

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: "h1.FAN3.1.failure-critical.1000",
  host: "h1",
  severity: "critical",
  component: "fan",
  sensor: "FAN3",
  reason: "FAN3 stopped",
  openedAt: 1_000,
  lastEventAt: 1_000,
  cleared: false,
  ack: null,
  escalations: 0,
  ...over,
});
const silence = (over: Partial<AmSilence> = {}): AmSilence => ({
  id: "s1",
  matchers: [{ name: "host", value: "h1", isRegex: false, isEqual: true }],
  startsAt: "",
  endsAt: "",
  createdBy: "jane",
  comment: "replacing the fan",
  status: { state: "active" },
  ...over,
});
const base = { now: 61_000, wallNow: 1_700_000_000_000, intervalMs: 15_000, silenceMs: 3_600_000 };

describe("alertmanager - plan", () => {
  it("alertmanager - an open alert is pushed with host, severity, component, sensor and an end past the next push", () => {
    const p = planSync({ ...base, alerts: [alert()], silences: [] });
    expect(p.push).toHaveLength(1);
    expect(p.push[0]?.labels).toMatchObject({ host: "h1", severity: "critical", component: "fan", sensor: "FAN3" });
    expect(Date.parse(p.push[0]?.endsAt ?? "")).toBe(base.wallNow + 4 * base.intervalMs);
    // opened 60 s ago on the controller's clock
    expect(Date.parse(p.push[0]?.startsAt ?? "")).toBe(base.wallNow - 60_000);
    expect(p.silences).toEqual([]);
    expect(p.acks).toEqual([]);
  });

  it("alertmanager - a cleared alert is sent resolved for a while, then no more", () => {
    const cleared = alert({ cleared: true, lastEventAt: 60_000 });
    const p = planSync({ ...base, alerts: [cleared], silences: [] });
    expect(Date.parse(p.push[0]?.endsAt ?? "")).toBe(base.wallNow);
    expect(planSync({ ...base, now: 60_000 + 11 * base.intervalMs, alerts: [cleared], silences: [] }).push).toEqual([]);
  });

  it("alertmanager - an ack in Presage becomes one silence on the alert's id, by the acker, until one exists", () => {
    const acked = alert({ ack: { by: "ops:jane", at: 50_000, note: "on it" } });
    const p = planSync({ ...base, alerts: [acked], silences: [] });
    expect(p.silences).toEqual([
      expect.objectContaining({
        matchers: [{ name: ALERT_ID_LABEL, value: acked.id, isRegex: false, isEqual: true }],
        createdBy: "ops:jane",
        comment: "presage ack: on it",
      }),
    ]);
    const mine = { ...(p.silences[0] as AmSilence), id: "s9", status: { state: "active" as const } };
    expect(planSync({ ...base, alerts: [acked], silences: [mine] }).silences).toEqual([]);
    // an expired silence does not count
    const expired = { ...mine, status: { state: "expired" as const } };
    expect(planSync({ ...base, alerts: [acked], silences: [expired] }).silences).toHaveLength(1);
  });

  it("alertmanager - a silence someone made in Alertmanager acknowledges the alerts it matches, naming them", () => {
    const other = alert({ id: "h2.x", host: "h2" });
    const p = planSync({ ...base, alerts: [alert(), other], silences: [silence()] });
    expect(p.acks).toEqual([
      { id: alert().id, actor: "alertmanager:jane", note: "silence s1 in Alertmanager: replacing the fan" },
    ]);
    // already acknowledged: nothing to do; Presage's own silences are never taken back as acks
    const acked = alert({ ack: { by: "x", at: 1, note: "" } });
    expect(planSync({ ...base, alerts: [acked], silences: [silence()] }).acks).toEqual([]);
    expect(planSync({ ...base, alerts: [alert()], silences: [silence({ comment: "presage ack" })] }).acks).toEqual([]);
  });

  it("alertmanager - matchers follow Alertmanager: all must hold, regexes anchored, != and !~", () => {
    const l = labelsOf(alert());
    const m = (name: string, value: string, isRegex = false, isEqual = true) => ({ name, value, isRegex, isEqual });
    expect(silenceMatches(silence({ matchers: [m("host", "h.")] }), l)).toBe(false);
    expect(silenceMatches(silence({ matchers: [m("host", "h.", true)] }), l)).toBe(true);
    expect(silenceMatches(silence({ matchers: [m("host", "h", true)] }), l)).toBe(false);
    expect(silenceMatches(silence({ matchers: [m("host", "h1"), m("severity", "warning")] }), l)).toBe(false);
    expect(silenceMatches(silence({ matchers: [m("severity", "warning", false, false)] }), l)).toBe(true);
    expect(silenceMatches(silence({ matchers: [m("sensor", "FAN.*", true, false)] }), l)).toBe(false);
    expect(silenceMatches(silence({ matchers: [m("host", "(", true)] }), l)).toBe(false);
  });

  it("alertmanager - Presage's silence for an ack is expired once its alert clears; others' silences never", () => {
    const mine = silence({
      id: "s7",
      comment: "presage ack: on it",
      matchers: [{ name: ALERT_ID_LABEL, value: alert().id, isRegex: false, isEqual: true }],
    });
    const cleared = alert({ cleared: true, ack: { by: "x", at: 1, note: "" } });
    expect(planSync({ ...base, alerts: [cleared], silences: [mine, silence()] }).expire).toEqual(["s7"]);
    expect(planSync({ ...base, alerts: [alert()], silences: [mine] }).expire).toEqual([]);
    // an id this controller does not know (another fleet on the same Alertmanager): left alone
    expect(planSync({ ...base, alerts: [], silences: [mine] }).expire).toEqual([]);
  });
});

describe("alertmanager - client", () => {
  it("alertmanager - credentials in the URL become a basic-auth header and never appear in errors", async () => {
    const seen: { auth?: string; url?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      res.writeHead(req.url === "/api/v2/silences" ? 200 : 500).end(req.url === "/api/v2/silences" ? "[]" : "no");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      const c = new AlertmanagerClient(`http://presage:s3cret@127.0.0.1:${port}/`, 5_000);
      expect(await c.silences()).toEqual([]);
      expect(seen[0]).toEqual({
        auth: `Basic ${Buffer.from("presage:s3cret").toString("base64")}`,
        url: "/api/v2/silences",
      });
      const err = await c
        .pushAlerts([{ labels: {}, annotations: {}, startsAt: "", endsAt: "" }])
        .catch((e: Error) => e);
      expect(String(err)).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts: HTTP 500/);
      expect(String(err)).not.toContain("s3cret");
      expect(redactUrl(`http://presage:s3cret@am:9093/`)).toBe("http://presage:***@am:9093");
    } finally {
      server.close();
    }
  });
});
