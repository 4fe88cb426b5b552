/**
 * Contract: the real producer against the real consumer. The agent's outbox publishes events (a
 * SensorEvent as the detector emits it), the real controller (SimEngine fleet, ops service)
 * publishes its feeds and answers every ops endpoint, and the CLI's own decoders read them:
 * `watch()` for the feeds (JSON and text), `runCli()` (request, reply decoding, rendering) for
 * every request command. No feed message or reply is built by hand, so a shape the controller
 * changes without the CLI (the `{ type, alert }` envelope `watch` once dropped) fails here.
 */

import { agentMetrics, EventOutbox } from "@presage/agent/internal";
import { commands, watch } from "@presage/cli/internal";
import { generateFleet } from "@presage/controller/internal";
import { connectNats, type NatsConnection, scaledClock, silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { criticalFanEvent, heartbeats, poll } from "../e2e/harness.js";
import { type Leader, startLeader } from "../e2e/leader.js";
import { presageInProcess } from "./run-cli.js";

let nats: NatsServerHandle;
let nc: NatsConnection;
let leader: Leader;
const clock = scaledClock(40);
const fleet = generateFleet({ hosts: 5, vmsPerHost: 2, seed: 11 });
const hosts = fleet.hosts.map((h) => h.name);
const [healthy, sick, manual, spare] = hosts as [string, string, string, string];

/** Text a renderer prints when it reads a field the producer does not send. */
const BROKEN = /undefined|NaN|\[object Object\]|Invalid Date/;

const cli = (argv: string[]) => presageInProcess(argv, { NATS_URL: nats.url }, () => clock.now());

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  leader = await startLeader({
    nc,
    fleet,
    clock,
    name: "ctl-contract",
    config: {
      reconcile: { intervalMs: 500 },
      alerts: { escalationIntervalMs: 60_000 },
      policy: { hosts: { [manual]: "manual" } },
      brake: { maxHosts: 5, maxPercent: 100 },
    },
  });
});

afterAll(async () => {
  await leader?.stop();
  await nc?.close();
  await nats?.stop();
});

describe("contract: controller feeds and replies read by the CLI", () => {
  it("contract - every feed message the controller publishes is decoded by watch, none dropped as malformed", async () => {
    const json: string[] = [];
    const text: string[] = [];
    const stop = new AbortController();
    const ready: Promise<void>[] = [];
    const watching = [true, false].map((asJson) => {
      let resolve = () => {};
      ready.push(new Promise<void>((r) => (resolve = r)));
      return watch(
        nc,
        {
          style: { color: false },
          json: asJson,
          out: (l) => (asJson ? json : text).push(l),
          ready: resolve,
          now: () => clock.now(),
        },
        stop.signal,
      );
    });
    await Promise.all(ready);
    const hb = heartbeats(nc, hosts, (h) => (h === sick || h === manual ? "critical" : "ok"));
    try {
      await poll("hosts known", async () => (await cli(["hosts", "--json"])).out.includes(spare), 30_000, 200);
      // events as the agent publishes them: its outbox, JetStream, then the core subject watch reads
      const outbox = new EventOutbox(nc, { log: silentLogger, metrics: agentMetrics() });
      outbox.push(criticalFanEvent(sick, clock.now()));
      outbox.push(criticalFanEvent(manual, clock.now()));
      await outbox.close(5_000);
      const lines = () => json.map((l) => JSON.parse(l) as { kind?: string; data?: Record<string, unknown> });
      const has = (kind: string, pred: (d: Record<string, unknown>) => boolean) =>
        lines().some((l) => l.kind === kind && l.data && pred(l.data));
      await poll(
        "alert, escalation, plan, running and completed migrations, audit on the feeds",
        () =>
          has("alert", (d) => d.type === "alert") &&
          has("alert", (d) => d.type === "escalation") &&
          has("alert", (d) => d.type === "plan") &&
          has("migration", (d) => d.status === "running") &&
          has("migration", (d) => d.status === "completed") &&
          has("audit", (d) => d.action === "migration.done") &&
          has("event", (d) => d.host === sick),
        60_000,
        200,
      );
    } finally {
      hb.stop();
      stop.abort();
      await Promise.all(watching);
    }
    const invalid = json.filter((l) => "invalid" in JSON.parse(l));
    expect(invalid).toEqual([]);
    expect(text.filter((l) => l.startsWith("ignored a malformed"))).toEqual([]);
    expect(text.filter((l) => BROKEN.test(l))).toEqual([]);
    expect(text.some((l) => new RegExp(`ALERT ${sick} critical ev-${sick}-`).test(l))).toBe(true);
    expect(text.some((l) => /ESCALATION \dx/.test(l))).toBe(true);
    expect(text.some((l) => new RegExp(`PLAN {6}plan-${manual}-\\d+ evacuation ${manual} proposed`).test(l))).toBe(
      true,
    );
    expect(text.some((l) => new RegExp(`MIGRATION .* ${sick} -> \\S+ completed`).test(l))).toBe(true);
  }, 90_000);

  it("contract - every request command decodes and renders the real controller's reply", async () => {
    const plan = await poll(
      "the manual host's proposed plan",
      async () => {
        const r = await cli(["plans", "--json"]);
        const plans = (JSON.parse(r.out) as { plans: { id: string; status: string }[] }).plans;
        return plans.find((p) => p.status === "proposed")?.id;
      },
      30_000,
      200,
    );
    const runs: string[][] = [
      ["hosts"],
      ["hosts", "--state", "quarantined"],
      ["host", sick],
      ["host", healthy, "--readings", "5"],
      ["events"],
      ["events", "--host", sick, "--severity", "critical", "--open"],
      ["ack", sick, "--note", "FAN3 ordered"],
      ["migrations"],
      ["migrations", "--active"],
      ["plans"],
      ["plan", "reject", plan, "--note", "not now"],
      ["maintenance", "enter", spare, "--dry-run"],
      ["maintenance", "enter", spare, "--reason", "BIOS"],
      ["maintenance", "exit", spare],
      ["rebalance", "--dry-run"],
      ["status"],
      // the fake agent still reports critical: the operator overrides it
      ["repaired", sick, "--note", "FAN3 replaced", "--force"],
    ];
    await poll("sick host quarantined", async () =>
      (await cli(["hosts", "--state", "quarantined"])).out.includes(sick),
    );
    const covered = new Set(runs.map((r) => r[0]));
    for (const c of commands) if (c.kind === "request") expect(covered.has(c.name), c.name).toBe(true);
    for (const argv of runs) {
      const r = await cli(argv);
      expect(r.err, argv.join(" ")).toBe("");
      expect(r.code, argv.join(" ")).toBe(0);
      expect(r.out.trim().length, argv.join(" ")).toBeGreaterThan(0);
      expect(r.out, argv.join(" ")).not.toMatch(BROKEN);
      // read-only commands again with --json: the reply itself, as the controller sent it
      const acts =
        ["ack", "plan", "maintenance", "repaired"].includes(argv[0] as string) && !argv.includes("--dry-run");
      if (!acts) expect(JSON.parse((await cli([...argv, "--json"])).out), argv.join(" ")).toMatchObject({ ok: true });
    }
    expect((await cli(["host", sick])).out).toMatch(new RegExp(`^${sick} {2}returning since`));
  }, 90_000);
});
