/**
 * The built `presage` CLI driving the real controller (SimEngine fleet) over a real nats-server:
 * the issue-3 operator path (hosts, events, ack, migrations, repaired) plus the refusals a person
 * meets (forbidden transition, unknown host), each with its exit code.
 */
import { connectNats, type NatsConnection, scaledClock } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFleet } from "../../controller/src/migration/index.js";
import { criticalFanEvent, heartbeats, poll, publishEvent, readAudit } from "../e2e/harness.js";
import { type Leader, startLeader } from "../e2e/leader.js";
import { assertBuilt, presage } from "./run-cli.js";

type HostRow = { host: string; state: string };

let nats: NatsServerHandle;
let nc: NatsConnection;
let leader: Leader;
let env: Record<string, string>;
const clock = scaledClock(40);
const fleet = generateFleet({ hosts: 4, vmsPerHost: 3, seed: 7 });
const hosts = fleet.hosts.map((h) => h.name);
const sick = hosts[1] as string;
const healthy = hosts[0] as string;

async function cliJson<T>(args: string[]): Promise<T> {
  const r = await presage([...args, "--json"], env);
  if (r.code !== 0) throw new Error(`presage ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
const stateOf = async (h: string) =>
  (await cliJson<{ hosts: HostRow[] }>(["hosts"])).hosts.find((x) => x.host === h)?.state;

beforeAll(async () => {
  assertBuilt();
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  leader = await startLeader({
    nc,
    fleet,
    clock,
    name: "ctl-cli",
    config: { returns: { gracePeriodMs: 5_000, waveSize: 2 } },
  });
  env = { NATS_URL: nats.url };
});

afterAll(async () => {
  await leader?.stop();
  await nc?.close();
  await nats?.stop();
});

describe("presage CLI (real controller)", () => {
  it("cli e2e - hosts, refusals, evacuation, ack, migrations, repaired, VMs home", async () => {
    let sickStatus: "ok" | "critical" = "ok";
    const hb = heartbeats(nc, hosts, (h) => (h === sick ? sickStatus : "ok"));
    try {
      await poll(
        "hosts known",
        async () => (await cliJson<{ hosts: HostRow[] }>(["hosts"])).hosts.length === 4,
        30_000,
        300,
      );
      const table = await presage(["hosts"], env);
      expect(table.code).toBe(0);
      expect(table.stdout.split("\n")[0]).toMatch(/^HOST\s+STATE/);
      expect(table.stdout).toContain(`${healthy} `);

      // refusals a person meets
      const forbidden = await presage(["repaired", healthy], env);
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toMatch(new RegExp(`presage repaired: .*${healthy}.*healthy`));
      const unknown = await presage(["host", "no-such-host"], env);
      expect(unknown.code).toBe(4);
      expect(unknown.stderr).toMatch(/no-such-host/);
      const unknownJson = await presage(["repaired", "no-such-host", "--json"], env);
      expect(JSON.parse(unknownJson.stdout)).toMatchObject({ ok: false, error: { code: "unknown_host" } });

      // readings feed the sensor table and its sparkline
      for (const rpm of [9000, 8600, 8100, 7300, 6200]) {
        const readings = [{ ts: clock.now(), host: sick, sensor: "FAN3", type: "fan", unit: "RPM", value: rpm }];
        nc.publish(`presage.v1.readings.${sick}`, JSON.stringify({ host: sick, readings }));
      }
      await nc.flush();
      const fanRow = await poll(
        "FAN3 readings",
        async () => (await presage(["host", sick], env)).stdout.split("\n").find((l) => l.startsWith("FAN3")),
        20_000,
        300,
      );
      expect(fanRow).toMatch(/^FAN3\s+fan\s+6200 RPM\s+.*█▇▆▄▁$/);

      const dryMaint = await cliJson<{ plans: { moves: { from: string }[] }[] }>([
        "maintenance",
        "enter",
        healthy,
        "--dry-run",
      ]);
      expect(dryMaint.plans[0]?.moves.every((m) => m.from === healthy)).toBe(true);
      expect(await stateOf(healthy)).toBe("healthy");

      // a critical fan event evacuates the host
      sickStatus = "critical";
      await publishEvent(nc, criticalFanEvent(sick, clock.now()));
      await poll("sick host quarantined", async () => (await stateOf(sick)) === "quarantined", 60_000, 500);

      const ev = await cliJson<{ alerts: { host: string; ack: unknown }[] }>(["events", "--unacked", "--host", sick]);
      expect(ev.alerts.length).toBeGreaterThan(0);
      const ack = await presage(["ack", sick, "--note", "FAN3 ordered", "--by", "carol"], env);
      expect(ack.code).toBe(0);
      expect(ack.stdout).toMatch(/^acknowledged [1-9]\d* alert\(s\)/);
      const after = await cliJson<{ alerts: { host: string }[] }>(["events", "--unacked", "--host", sick]);
      expect(after.alerts).toEqual([]);

      const migs = await cliJson<{ migrations: { from: string; status: string }[] }>(["migrations", "--host", sick]);
      const onSick = fleet.vms.filter((v) => v.host === sick).length;
      expect(migs.migrations.filter((m) => m.from === sick && m.status === "completed").length).toBeGreaterThanOrEqual(
        onSick,
      );
      const migTable = await presage(["migrations"], env);
      expect(migTable.stdout).toMatch(/evacuation\s+completed\s+100%/);

      const detail = await presage(["host", sick], env);
      expect(detail.code).toBe(0);
      expect(detail.stdout).toMatch(new RegExp(`^${sick} {2}quarantined since`));
      expect(detail.stdout).toMatch(new RegExp(`VMS \\(0 here, ${onSick} away from home\\)`));

      // repaired: returning, then healthy again once heartbeats are ok, with its VMs home
      sickStatus = "ok";
      const rep = await presage(["repaired", sick, "--note", "FAN3 replaced", "--by", "carol"], env);
      expect(rep.code).toBe(0);
      expect(rep.stdout).toMatch(new RegExp(`^${sick} is now returning`));
      await poll("sick host healthy again", async () => (await stateOf(sick)) === "healthy", 90_000, 500);
      const home = await cliJson<{ vms: { id: string; host: string; home: string }[] }>(["host", sick]);
      expect(home.vms.filter((v) => v.host === sick && v.home === sick).length).toBe(onSick);

      // the operator's declared name is what the audit trail records for their actions
      const audit = await readAudit(nc);
      expect(audit.some((a) => a.actor === "carol" && a.host === sick)).toBe(true);

      const status = await cliJson<{ leader: boolean; vms: number }>(["status"]);
      expect(status).toMatchObject({ leader: true, vms: fleet.vms.length });
      const dry = await presage(["rebalance", "--dry-run"], env);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^dry run: nothing was moved/);
      expect((await presage(["plans"], env)).code).toBe(0);
    } finally {
      hb.stop();
    }
  });
});
