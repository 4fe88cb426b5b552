/**
 * The built `presage` CLI against a real nats-server and the real ops service, backed by an
 * in-memory controller (every command, tables, --json, exit codes, error messages).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuditRecord, connectNats, type NatsConnection, silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpsService } from "../../controller/src/ops/service.js";
import { alertMessage, runningMigration } from "../../controller/test/cli/feed-samples.js";
import { fakeControllerApi } from "../../controller/test/ops/fake-api.js";
import { assertBuilt, CLI, presage, presageWatch } from "./run-cli.js";

let ns: NatsServerHandle;
let nc: NatsConnection;
let fake: ReturnType<typeof fakeControllerApi>;
let svc: { stop(): Promise<void> };
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  ns = await startNatsServer();
  nc = await connectNats({ url: ns.url });
  fake = fakeControllerApi(Date.now());
  svc = await startOpsService(nc, fake.api, { log: silentLogger });
  env = { NATS_URL: ns.url };
  dir = mkdtempSync(join(tmpdir(), "presage-cli-"));
});

afterAll(async () => {
  await svc?.stop();
  await nc?.close();
  await ns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = (s: string) => JSON.parse(s) as Record<string, unknown> & { ok: boolean };

describe("presage CLI (fake controller)", () => {
  it("cli - hosts prints a table, and --json the reply", async () => {
    const t = await presage(["hosts"], env);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^HOST\s+STATE\s+SINCE\s+VMS\s+VCPU\s+MEMORY\s+ALERTS\s+REASON$/);
    expect(lines.find((l) => l.startsWith("h2"))).toMatch(/quarantined .* FAN3 fell 1,900 RPM/);
    expect(t.stdout.includes("\u001b[")).toBe(false); // no colour when stdout is not a terminal
    const j = await presage(["hosts", "--json", "--state", "quarantined"], env);
    expect(j.code).toBe(0);
    expect(json(j.stdout)).toMatchObject({ ok: true, hosts: [{ host: "h2", state: "quarantined", openAlerts: 1 }] });
  });

  it.skipIf(!existsSync("/usr/bin/script"))("cli - colour on a terminal, none with NO_COLOR", async () => {
    // `script` runs the CLI on a pseudo-terminal, as a person would
    const onTty = (extra: Record<string, string>) =>
      new Promise<string>((resolve) =>
        execFile(
          "/usr/bin/script",
          ["-qec", `${process.execPath} ${CLI} hosts`, "/dev/null"],
          {
            env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", TERM: "xterm", ...env, ...extra },
            timeout: 30_000,
          },
          (_e, stdout) => resolve(stdout),
        ),
      );
    expect(await onTty({})).toContain("\u001b[32mhealthy\u001b[39m");
    const plain = await onTty({ NO_COLOR: "1" });
    expect(plain).toMatch(/h1\s+healthy/);
    expect(plain.includes("\u001b[")).toBe(false);
  });

  it("cli - host shows VMs, alerts, sensors with a sparkline, and history", async () => {
    const r = await presage(["host", "h2"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^h2 {2}quarantined since/);
    expect(r.stdout).toMatch(/VMS \(0 here, 1 away from home\)/);
    expect(r.stdout).toMatch(/ALERTS \(1\)\n.*\nev-1 +h2 +critical +fan +FAN3/);
    const fan = r.stdout.split("\n").find((l) => l.startsWith("FAN3"));
    expect(fan).toMatch(/5200 RPM\s+█▇▆▅ ▃▁$/);
    expect(r.stdout).toMatch(/HISTORY\n.*\n.*transition\s+controller\s+healthy -> degraded/);
  });

  it("cli - unknown host exits 4, a malformed host name exits 2 before asking", async () => {
    const r = await presage(["host", "nope"], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/presage host: unknown host "nope"/);
    const before = fake.calls.length;
    const bad = await presage(["host", "bad.name"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"bad.name" is not a host name/);
    expect(fake.calls.length).toBe(before);
  });

  it("cli - events filters reach the controller; a bad severity is a usage error", async () => {
    const r = await presage(["events", "--unacked", "--host", "h2", "--severity", "critical"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+HOST\s+SEVERITY/);
    expect(fake.calls.at(-1)).toMatchObject({
      method: "events",
      req: { host: "h2", severity: "critical", unacked: true },
    });
    const bad = await presage(["events", "--severity", "doom"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--severity must be one of info, warning, critical/);
  });

  it("cli - every enum-like flag is checked before asking: exit 2 naming the valid values", async () => {
    const before = fake.calls.length;
    const state = await presage(["hosts", "--state", "bogus"], env);
    expect(state.code).toBe(2);
    expect(state.stdout).toBe("");
    expect(state.stderr).toMatch(
      /--state must be one of healthy, suspect, degraded, evacuating, quarantined, returning, maintenance, failed, got "bogus"/,
    );
    const ok = await presage(["hosts", "--state", "quarantined", "--json"], env);
    expect(ok.code).toBe(0);
    for (const args of [
      ["migrations", "--host", "a.b"],
      ["events", "--host", "a b"],
      ["watch", "--host", "x>"],
      ["maintenance", "pause", "h1"],
      ["plan", "approve-all", "p-1"],
      ["rebalance", "--aggressiveness", "9"],
    ]) {
      const r = await presage(args, env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/must be one of|is not a host name|needs one of|must be an integer/);
    }
    expect(fake.calls.length).toBe(before + 1);
  });

  it("cli - ack records the operator and note; an unknown target exits 4", async () => {
    const r = await presage(["ack", "h2", "--note", "FAN3 on order", "--by", "carol"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/acknowledged 1 alert\(s\)\n {2}ev-1 {2}h2 {2}critical fan FAN3/);
    expect(fake.alerts[0]?.ack).toMatchObject({ by: "carol", note: "FAN3 on order" });
    const after = await presage(["events", "--unacked", "--json"], env);
    expect(json(after.stdout).alerts).toEqual([]);
    const none = await presage(["ack", "ev-404"], env);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/no open alert with id or host "ev-404"/);
  });

  it("cli - repaired on a healthy host is refused (exit 1, JSON error on stdout with --json)", async () => {
    const r = await presage(["repaired", "h1"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/presage repaired: host h1 is healthy: only a quarantined or failed host/);
    const j = await presage(["repaired", "h1", "--json"], env);
    expect(j.code).toBe(1);
    expect(json(j.stdout)).toEqual({ ok: false, error: { code: "forbidden_transition", message: expect.any(String) } });
    const ok = await presage(["repaired", "h2", "--note", "fan replaced"], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^h2 is now returning: fan replaced/);
  });

  it("cli - maintenance enter/exit: dry run, deadline parsing, refusals, usage errors", async () => {
    const t0 = Date.now();
    const dry = await presage(["maintenance", "enter", "h3", "--dry-run", "--deadline", "2h", "--reason", "BIOS"], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^dry run: nothing was changed/);
    const call = fake.calls.at(-1) as { req: { deadline: number; dryRun: boolean; hosts: string[] } };
    expect(call.req.hosts).toEqual(["h3"]);
    expect(call.req.dryRun).toBe(true);
    expect(call.req.deadline - t0).toBeGreaterThan(7_100_000);
    expect(call.req.deadline - t0).toBeLessThan(7_300_000);
    expect(fake.hosts.get("h3")?.state).toBe("healthy");
    const exit = await presage(["maintenance", "exit", "h3"], env);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/host h3 is healthy, not in maintenance/);
    const enter = await presage(["maintenance", "enter", "h3"], env);
    expect(enter.code).toBe(0);
    expect(enter.stdout).toMatch(/^h3 is now maintenance/);
    expect((await presage(["maintenance", "exit", "h3"], env)).code).toBe(0);
    const noSub = await presage(["maintenance", "h3"], env);
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toMatch(/maintenance needs one of: enter, exit/);
    const badTime = await presage(["maintenance", "enter", "h3", "--deadline", "soonish"], env);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/--deadline "soonish" is not a time/);
    expect((await presage(["maintenance", "enter"], env)).stderr).toMatch(/name at least one host/);
  });

  it("cli - migrations, plans, plan approve/reject", async () => {
    const m = await presage(["migrations"], env);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/m-1\s+vm-2\s+h2\s+h3\s+evacuation\s+completed\s+100%/);
    expect((await presage(["migrations", "--active"], env)).stdout.trim()).toBe("no migrations");
    const p = await presage(["plans"], env);
    expect(p.stdout).toMatch(/p-1\s+rebalance\s+-\s+proposed\s+1\s+0/);
    const a = await presage(["plan", "approve", "p-1", "--json"], env);
    expect(json(a.stdout)).toMatchObject({ ok: true, plan: { id: "p-1", status: "approved" } });
    const missing = await presage(["plan", "reject", "p-9"], env);
    expect(missing.code).toBe(4);
    expect((await presage(["plan", "approve"], env)).stderr).toMatch(/missing plan <id>/);
  });

  it("cli - rebalance dry run and argument checks", async () => {
    const r = await presage(["rebalance", "--dry-run", "--aggressiveness", "3"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dry run: nothing was moved\nplan p-r .* imbalance 0\.400 -> 0\.100/);
    expect(fake.calls.at(-1)).toMatchObject({ method: "rebalance", req: { dryRun: true, aggressiveness: 3 } });
    const bad = await presage(["rebalance", "--aggressiveness", "9"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--aggressiveness must be an integer from 1 to 5, got "9"/);
  });

  it("cli - status", async () => {
    const r = await presage(["status"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/controller: ctl-1 \(leader, mode auto\)/);
    expect(r.stdout).toMatch(/brake: +released \(1\/2 hosts in remediation\)/);
  });

  it("cli - usage errors exit 2 with a pointer to help; every command has --help with examples", async () => {
    const [u, o, extra] = await Promise.all([
      presage(["frobnicate"], env),
      presage(["hosts", "--colour"], env),
      presage(["status", "now"], env),
    ]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command "frobnicate"/);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/Unknown option '--colour'.*presage hosts --help/);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/unexpected argument "now"/);
    const helps = await Promise.all(
      ["hosts", "ack", "watch", "rebalance", "maintenance"].map((c) => presage([c, "--help"], {})),
    );
    for (const h of helps) {
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/usage: presage /);
      expect(h.stdout).toMatch(/examples:\n {2}presage /);
    }
    // `presage demo` hands its arguments to the demo
    const demo = await presage(["demo", "--help"], {});
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/presage demo/);
  });

  it("cli - no controller answering, and no server, exit 3 with a hint", async () => {
    const bare = await startNatsServer();
    try {
      const r = await presage(["hosts"], { NATS_URL: bare.url });
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`presage hosts: no controller answered on ${bare.url}: is presage-controller running?\n`);
    } finally {
      await bare.stop();
    }
    const down = await presage(["status", "--json"], { NATS_URL: "nats://127.0.0.1:1" });
    expect(down.code).toBe(3);
    expect(json(down.stdout)).toMatchObject({ ok: false, error: { code: "unreachable" } });
    expect(json(down.stdout).error).toMatchObject({
      message: expect.stringMatching(/cannot connect to NATS at nats:\/\/127.0.0.1:1/),
    });
  });

  it("cli - the server comes from --server, else NATS_URL, else the context file", async () => {
    const ctx = join(dir, "context.json");
    writeFileSync(ctx, JSON.stringify({ url: ns.url, by: "ctx-operator" }));
    const r = await presage(["ack", "ev-1", "--context", ctx]);
    expect(r.code).toBe(0);
    expect(fake.calls.at(-1)?.actor).toBe("ctx-operator");
    // the flag wins over the environment
    const flagWins = await presage(["status", "--server", ns.url], { NATS_URL: "nats://127.0.0.1:1" });
    expect(flagWins.code).toBe(0);
    writeFileSync(ctx, "{ url: nope");
    const broken = await presage(["status", "--context", ctx]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/context file .* is not valid JSON/);
    expect((await presage(["status", "--context", join(dir, "missing.json")])).stderr).toMatch(/does not exist/);
  });

  it("cli - watch tails events, alerts, migrations and audit, skipping malformed messages", async () => {
    const w = presageWatch(["--json", "--count", "4"], { NATS_URL: ns.url });
    try {
      await w.ready;
      const now = Date.now();
      nc.publish("presage.v1.events.h1", "{broken");
      nc.publish(
        "presage.v1.events.h1",
        JSON.stringify({
          id: "ev-9",
          ts: now,
          host: "h1",
          severity: "warning",
          kind: "degradation",
          component: "fan",
          sensor: "FAN1",
          reason: "FAN1 slowing",
          predictedFailureAt: null,
          confidence: 0.7,
        }),
      );
      // the shapes the controller publishes (shared/feeds.ts; test/cli/contract.test.ts runs the real one)
      const alert = alertMessage({ id: "ev-9", host: "h1", sensor: "FAN1", reason: "FAN1 slowing", ts: now });
      nc.publish("presage.v1.alerts", JSON.stringify(alert));
      const mig = runningMigration({ id: "m-9", vm: "vm-1", from: "h1", to: "h3", progress: 0.5, ts: now });
      nc.publish("presage.v1.migrations", JSON.stringify(mig));
      const audit: AuditRecord = {
        ts: now,
        action: "transition",
        actor: "controller",
        detail: "h1 healthy -> suspect",
      };
      nc.publish("presage.v1.audit.transition", JSON.stringify(audit));
      expect(await w.exited).toBe(0);
      const lines = w
        .output()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      // one subscription per subject family: order is kept per subject, not across them
      const invalid = lines.filter((l) => l.invalid);
      expect(invalid).toEqual([
        { subject: "presage.v1.events.h1", invalid: expect.stringMatching(/not JSON|JSON object/) },
      ]);
      const shown = lines.filter((l) => l.kind);
      expect(shown.map((l) => l.kind).sort()).toEqual(["alert", "audit", "event", "migration"]);
      expect(shown.find((l) => l.kind === "migration")?.data).toMatchObject({ vm: "vm-1", progress: 0.5 });
      expect(shown.find((l) => l.kind === "event")?.data).toMatchObject({ id: "ev-9", reason: "FAN1 slowing" });
    } finally {
      w.kill();
    }
  });
});
