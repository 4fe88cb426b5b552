/**
 * Private inboxes (issue 13 item 2) under the deploy/nats permissions: each identity reads replies
 * only under its own inbox prefix. Two agents, the real controller consuming their events over
 * JetStream, operators through the CLI: one agent cannot subscribe to the other's inbox, to the
 * controller's, or to `_INBOX.>` (where it once saw, and could NAK, every reply in the account),
 * and the whole flow still works.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentMetrics, EventOutbox } from "@presage/agent/internal";
import { generateFleet } from "@presage/controller/internal";
import {
  connectNats,
  inboxes,
  type NatsConnection,
  type SensorEvent,
  scaledClock,
  silentLogger,
} from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { criticalFanEvent, poll } from "../e2e/harness.js";
import { type Leader, startLeader } from "../e2e/leader.js";
import { type SecureServer, startSecureNats } from "./secure-server.js";

let srv: SecureServer;
let ctlNc: NatsConnection;
let leader: Leader;
const open: NatsConnection[] = [];
const clock = scaledClock(40);

// the deploy/nats sample has agent users for node-01..03
const base = generateFleet({ hosts: 3, vmsPerHost: 2, seed: 5 });
const rename = (h: string) => `node-0${Number(h.split("-")[1]) + 1}`;
const fleet = {
  hosts: base.hosts.map((h) => ({ ...h, name: rename(h.name) })),
  vms: base.vms.map((v) => ({ ...v, host: rename(v.host) })),
};

async function agent(host: string): Promise<NatsConnection> {
  const nc = await connectNats({
    url: srv.url,
    user: `agent-${host}`,
    pass: srv.passwords.PRESAGE_AGENT_PASSWORD,
    inboxPrefix: inboxes.agent(host),
  });
  open.push(nc);
  return nc;
}

/** Subscribe and report what arrives, or the permission error the server answers with. */
async function tryToRead(nc: NatsConnection, subject: string, ms: number) {
  const seen: string[] = [];
  let refused: string | null = null;
  // the server's refusal arrives both as a connection status and on the subscription
  (async () => {
    for await (const s of nc.status())
      if (s.type === "error" && String(s.error).includes(`Subscription to "${subject}"`)) refused = String(s.error);
  })().catch(() => {});
  const sub = nc.subscribe(subject);
  const reading = (async () => {
    try {
      for await (const m of sub) seen.push(m.subject);
    } catch (e) {
      refused ??= (e as Error).message;
    }
  })();
  await nc.flush();
  return {
    async result() {
      await new Promise((r) => setTimeout(r, ms));
      sub.unsubscribe();
      await reading;
      return { seen, refused };
    },
  };
}

const cli = (args: string[], user = "alice") => [
  ...args,
  "--server",
  srv.url,
  "--user",
  user,
  "--password",
  user === "alice" ? srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD : srv.passwords.PRESAGE_OPERATOR_BOB_PASSWORD,
];

beforeAll(async () => {
  assertBuilt();
  srv = await startSecureNats({ tls: false });
  ctlNc = await connectNats({
    url: srv.url,
    user: "controller",
    pass: srv.passwords.PRESAGE_CONTROLLER_PASSWORD,
    inboxPrefix: inboxes.controller,
  });
  leader = await startLeader({
    nc: ctlNc,
    fleet,
    clock,
    name: "ctl-inbox",
    config: { reconcile: { intervalMs: 500 } },
  });
});

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  await leader?.stop();
  await ctlNc?.close();
  await srv?.stop();
});

describe("private inboxes", () => {
  it("security - an agent cannot read another agent's, the controller's or any reply; events still flow to the controller and the CLI", async () => {
    const [one, two] = await Promise.all([agent("node-01"), agent("node-02")]);
    // node-02 tries every way it had to watch node-01's traffic, while node-01 and the controller work
    const spies = await Promise.all(
      ["_INBOX.>", `${inboxes.agent("node-01")}.>`, `${inboxes.controller}.>`, ">"].map((s) =>
        tryToRead(two, s, 1_500),
      ),
    );
    const mine = await tryToRead(two, `${inboxes.agent("node-02")}.>`, 1_500);

    // node-01 publishes a critical event the way the agent does (its outbox, JetStream acks to its inbox)
    const outbox = new EventOutbox(one, { log: silentLogger, metrics: agentMetrics() });
    const ev: SensorEvent = criticalFanEvent("node-01", clock.now());
    outbox.push(ev);
    await outbox.close(5_000);
    // and node-02 still has its own request path (the start-up stream check)
    const info = await two.request("$JS.API.STREAM.INFO.PRESAGE_EVENTS", "", { timeout: 5_000 });
    expect(info.json<{ config?: { name?: string } }>().config?.name).toBe("PRESAGE_EVENTS");

    for (const s of spies) {
      const r = await s.result();
      expect(r.refused).toMatch(/Permissions Violation for Subscription/);
      expect(r.seen).toEqual([]);
    }
    // its own inbox is allowed (the STREAM.INFO reply arrived there, through the request's own subscription)
    expect((await mine.result()).refused).toBeNull();

    // the controller consumed the event: the host leaves healthy, and operators see it through the CLI
    const state = async () => {
      const r = await presage(cli(["hosts", "--json"]));
      if (r.code !== 0) throw new Error(r.stderr || r.stdout);
      return (JSON.parse(r.stdout) as { hosts: { host: string; state: string }[] }).hosts.find(
        (h) => h.host === "node-01",
      )?.state;
    };
    await poll(
      "node-01 evacuated",
      async () => ["evacuating", "quarantined"].includes((await state()) ?? ""),
      30_000,
      300,
    );
    const ack = await presage(cli(["ack", "node-01", "--note", "seen"], "bob"));
    expect(ack.stderr).toBe("");
    expect(ack.code).toBe(0);
  }, 60_000);

  it("security - one operator cannot read another's replies", async () => {
    const bob = await connectNats({
      url: srv.url,
      user: "bob",
      pass: srv.passwords.PRESAGE_OPERATOR_BOB_PASSWORD,
      inboxPrefix: inboxes.operator("bob") as string,
    });
    open.push(bob);
    const spy = await tryToRead(bob, `${inboxes.operator("alice")}.>`, 1_500);
    const any = await tryToRead(bob, "_INBOX.>", 1_500);
    const status = await presage(cli(["status", "--json"]));
    expect(status.code).toBe(0);
    for (const s of [spy, any]) {
      const r = await s.result();
      expect(r.refused).toMatch(/Permissions Violation for Subscription/);
      expect(r.seen).toEqual([]);
    }
  }, 30_000);

  it("security - the built agent binary uses its own inbox: its JetStream requests pass, no subscription is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "presage-inbox-agent-"));
    const cfg = join(dir, "agent.json");
    writeFileSync(cfg, JSON.stringify({ host: "node-03", nats: { url: srv.url }, heartbeatIntervalMs: 200 }));
    const bin = fileURLToPath(new URL("../../agent/dist/bin/presage-agent.js", import.meta.url));
    const child = spawn(process.execPath, [bin, "run", "--config", cfg], {
      env: {
        PATH: process.env.PATH ?? "",
        NATS_USER: "agent-node-03",
        NATS_PASS: srv.passwords.PRESAGE_AGENT_PASSWORD,
      },
    });
    let log = "";
    child.stderr.on("data", (d: Buffer) => {
      log += d.toString();
    });
    try {
      const seen = async () => {
        const r = await presage(cli(["hosts", "--json"]));
        const h = (JSON.parse(r.stdout) as { hosts: { host: string; lastHeartbeat?: number | null }[] }).hosts;
        return h.find((x) => x.host === "node-03")?.lastHeartbeat;
      };
      await poll("node-03 heartbeats reach the controller", seen, 20_000, 300);
      expect(log).not.toMatch(/Permissions Violation for Subscription/);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
