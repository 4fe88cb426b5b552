/**
 * The dashboard's feed hub on a real nats-server: a snapshot first, then only the host tiles that changed,
 * status when it changes, feed messages that pass the shared checks (the others counted), and readings
 * subscribed only while someone watches that host.
 */
import type { HostSummary, OpsReplies } from "@presage/shared";
import { ErrorCode, OpsError, silentLogger, subjects } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";
import { poll } from "../../../test/e2e/harness.js";
import { FeedHub } from "../../src/http/feed.js";
import type { SseClient } from "../../src/http/sse.js";

type Sent = { event: string; data: unknown };

function client(host: string | null): SseClient & { got: Sent[] } {
  const got: Sent[] = [];
  return {
    host,
    got,
    send: (event: string, data: string) => got.push({ event, data: JSON.parse(data) }),
    close() {},
  } as never;
}

const summary = (host: string, state = "healthy", vmCount = 2) =>
  ({ host, state, vmCount, openAlerts: 0, since: 0, reason: "" }) as unknown as HostSummary;

describe("dashboard feed hub", () => {
  const env = natsEnv();

  it("feed - sends the fleet, then only what changed; checks feed messages; readings only to watchers", async () => {
    let hosts = [summary("h1"), summary("h2"), summary("h3")];
    let brake = false;
    let leading = true;
    const status = () =>
      ({
        controller: "c",
        leader: true,
        brake: { engaged: brake, inRemediation: 0, limit: 1, waiting: [] },
      }) as unknown as OpsReplies["status"];
    let invalid = 0;
    const hub = new FeedHub({
      nc: env.nc,
      log: silentLogger,
      debounceMs: 10,
      refreshMs: 60_000,
      fleet: {
        hosts: async () => {
          if (!leading) throw new OpsError(ErrorCode.NotLeader, "not the leader");
          return hosts;
        },
        status: async () => status(),
      },
      onInvalid: () => invalid++,
    });
    try {
      const fleet = client(null);
      const h2 = client("h2");
      await hub.add(fleet);
      await hub.add(h2);
      await env.nc.flush();
      expect(fleet.got[0]).toMatchObject({
        event: "snapshot",
        data: { hosts: [{ host: "h1" }, { host: "h2" }, { host: "h3" }] },
      });

      // a change, then an audit record: the refresh sends h2 alone, and the new status
      hosts = [summary("h1"), summary("h2", "degraded", 2), summary("h3")];
      brake = true;
      const rec = { ts: 1, action: "transition", host: "h2", actor: "controller", detail: "h2: healthy -> degraded" };
      env.nc.publish(subjects.audit("transition"), JSON.stringify(rec));
      await poll("the tiles update", () => fleet.got.find((g) => g.event === "hosts"));
      await poll("the new status", () => fleet.got.find((g) => g.event === "status"));
      const diffs = fleet.got
        .filter((g) => g.event === "hosts")
        .map((g) => (g.data as { hosts: HostSummary[] }).hosts.map((h) => h.host));
      expect(diffs.at(-1)).toContain("h2");
      // the host page hears about its own host only
      expect(h2.got.map((g) => g.event)).toEqual(["audit"]);

      hosts = [summary("h1"), summary("h2", "evacuating", 1), summary("h3")];
      env.nc.publish(subjects.audit("transition"), JSON.stringify({ ...rec, host: "h3" }));
      await poll("the next diff", () => {
        const last = fleet.got.filter((g) => g.event === "hosts").at(-1)?.data as { hosts: HostSummary[] };
        return last.hosts.length === 1 && last.hosts[0]?.state === "evacuating";
      });

      env.nc.publish(subjects.alerts, "{not json");
      env.nc.publish(subjects.migrations, JSON.stringify({ id: "m1" }));
      const batch = {
        host: "h2",
        readings: [{ ts: 1, host: "h2", sensor: "FAN3", type: "fan", unit: "RPM", value: 9 }],
      };
      env.nc.publish(subjects.readings("h1"), JSON.stringify({ ...batch, host: "h1" }));
      env.nc.publish(subjects.readings("h2"), JSON.stringify(batch));
      env.nc.publish(subjects.readings("h2"), JSON.stringify({ host: "h2", readings: "nope" }));
      await poll("the readings", () => h2.got.find((g) => g.event === "readings"));
      await poll("the bad messages counted", () => invalid === 3);
      expect(h2.got.filter((g) => g.event === "readings")).toHaveLength(1);
      expect(fleet.got.some((g) => g.event === "readings" || g.event === "migration")).toBe(false);

      // nobody watches h2 any more: its readings are not even received
      hub.remove(h2);
      env.nc.publish(subjects.readings("h2"), JSON.stringify({ host: "h2", readings: "still nope" }));
      await env.nc.flush();
      await new Promise((r) => setTimeout(r, 100));
      expect(invalid).toBe(3);

      // the replica stops leading: its pages are closed, to reconnect and hear who leads
      let closed = 0;
      fleet.close = () => closed++;
      leading = false;
      env.nc.publish(subjects.audit("transition"), JSON.stringify(rec));
      await poll("the pages closed", () => closed === 1);
      expect(hub.clients).toBe(0);
    } finally {
      hub.close();
    }
  });
});
