/**
 * deploy/nats permissions over a real nats-server with TLS: who may publish, request and write
 * what, and what each client sees when the server says no.
 */
import { connectNats, ensureStreams, inboxes, KV_HOSTS, type NatsConnection, silentLogger } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpsService } from "../../controller/src/ops/service.js";
import { fakeControllerApi } from "../../controller/test/ops/fake-api.js";
import { pingServices, requestWithHeader } from "../../controller/test/ops/nats-client.js";
import { assertBuilt, presage, presageWatch } from "../cli/run-cli.js";
import { type SecureServer, startSecureNats } from "./secure-server.js";

let srv: SecureServer;
let controller: NatsConnection;
let fake: ReturnType<typeof fakeControllerApi>;
let svc: { stop(): Promise<void> };
const open: NatsConnection[] = [];

const KV_STREAM = `KV_${KV_HOSTS}`;
const kvSubject = (key: string) => `$KV.${KV_HOSTS}.${key}`;

/** Each identity's own reply inbox, as the agent, controller and CLI set it (the only one it may read). */
function inboxOf(user: string): string {
  if (user === "controller") return inboxes.controller;
  if (user.startsWith("agent-")) return inboxes.agent(user.slice("agent-".length));
  return inboxes.operator(user) ?? "_INBOX";
}

async function as(user: string, pass: string): Promise<NatsConnection> {
  const nc = await connectNats({ url: srv.url, user, pass, tls: { ca: srv.certs?.ca }, inboxPrefix: inboxOf(user) });
  open.push(nc);
  return nc;
}
const agent = (host: string) => as(`agent-${host}`, srv.passwords.PRESAGE_AGENT_PASSWORD);
const alice = () => as("alice", srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD);

/** The controller's view of a KV key, read through the JetStream direct-get API. */
async function kvValue(key: string): Promise<string | null> {
  const m = await controller.request(
    `$JS.API.DIRECT.GET.${KV_STREAM}`,
    JSON.stringify({ last_by_subj: kvSubject(key) }),
    {
      timeout: 5_000,
    },
  );
  return m.headers?.code === 404 || m.headers?.hasError ? null : m.string();
}

/** A request the server refuses rejects at once with the permission violation. */
async function refused(nc: NatsConnection, subject: string, body = "{}"): Promise<string> {
  try {
    await nc.request(subject, body, { timeout: 3_000 });
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
}

beforeAll(async () => {
  assertBuilt();
  srv = await startSecureNats({ tls: true });
  controller = await as("controller", srv.passwords.PRESAGE_CONTROLLER_PASSWORD);
  fake = fakeControllerApi(Date.now());
  svc = await startOpsService(controller, fake.api, { log: silentLogger });
  // the presage-hosts bucket as the controller's store creates it (a KV stream)
  await controller.request(
    `$JS.API.STREAM.CREATE.${KV_STREAM}`,
    JSON.stringify({
      name: KV_STREAM,
      subjects: [`$KV.${KV_HOSTS}.>`],
      max_msgs_per_subject: 5,
      allow_direct: true,
      allow_rollup_hdrs: true,
      deny_delete: true,
      storage: "file",
    }),
    { timeout: 5_000 },
  );
  await controller.request(kvSubject("node-01"), JSON.stringify({ host: "node-01", state: "healthy" }), {
    timeout: 5_000,
  });
});

afterAll(async () => {
  await svc?.stop();
  for (const nc of open) await nc.close().catch(() => {});
  await srv?.stop();
});

describe("NATS security (deploy/nats)", () => {
  it("security - an unauthenticated or wrong-password client is refused", async () => {
    await expect(connectNats({ url: srv.url, tls: { ca: srv.certs?.ca } })).rejects.toThrow(/Authorization Violation/);
    await expect(
      connectNats({ url: srv.url, user: "alice", pass: "guess", tls: { ca: srv.certs?.ca } }),
    ).rejects.toThrow(/Authorization Violation/);
  });

  it("security - TLS: a client that trusts the CA connects encrypted; one that does not is refused", async () => {
    expect(controller.info?.tls_required).toBe(true);
    await expect(
      connectNats({ url: srv.url, user: "alice", pass: srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD }),
    ).rejects.toThrow(/certificate|TLS|self.signed/i);
  });

  it("security - an agent may publish its own host's events, not another host's", async () => {
    const a1 = await agent("node-01");
    const got: string[] = [];
    const sub = controller.subscribe("presage.v1.events.>", { callback: (_e, m) => got.push(m.subject) });
    await controller.flush();
    expect(await refused(a1, "presage.v1.events.node-02")).toMatch(
      /Permissions Violation for Publish to "presage.v1.events.node-02"/,
    );
    expect(await refused(a1, "presage.v1.readings.node-02")).toMatch(/Permissions Violation/);
    a1.publish("presage.v1.events.node-01", "{}");
    a1.publish("presage.v1.events.node-02", "{}");
    await a1.flush();
    await controller.flush();
    await expect.poll(() => got, { timeout: 5_000 }).toContain("presage.v1.events.node-01");
    expect(got).not.toContain("presage.v1.events.node-02");
    sub.unsubscribe();
    // nor may it listen to another host's commands
    const spy = a1.subscribe("presage.v1.commands.node-02");
    await expect(
      (async () => {
        for await (const _ of spy) return "message";
        return "closed";
      })(),
    ).rejects.toThrow(/Permissions Violation for Subscription/);
  });

  it("security - an agent's own path works under its permissions: stream check, stored events, commands", async () => {
    await ensureStreams(controller);
    const a1 = await agent("node-01");
    // what presage-agent run does at start, then for each event (a JetStream publish with an ack)
    await ensureStreams(a1);
    const ack = await a1.request("presage.v1.events.node-01", "{}", { timeout: 5_000 });
    expect(ack.json()).toMatchObject({ stream: "PRESAGE_EVENTS" });
    const got = new Promise<string>((resolve) =>
      a1.subscribe("presage.v1.commands.node-01", { callback: (_e, m) => resolve(m.string()) }),
    );
    await a1.flush();
    controller.publish("presage.v1.commands.node-01", "ping");
    expect(await got).toBe("ping");
    // but it cannot create, change or delete streams
    expect(await refused(a1, "$JS.API.STREAM.CREATE.EVIL", JSON.stringify({ name: "EVIL", subjects: ["x"] }))).toMatch(
      /Permissions Violation/,
    );
    expect(await refused(a1, "$JS.API.STREAM.UPDATE.PRESAGE_EVENTS")).toMatch(/Permissions Violation/);
  });

  it("security - only the controller writes the KV buckets", async () => {
    const before = await kvValue("node-01");
    expect(before).toMatch(/healthy/);
    const op = await alice();
    expect(await refused(op, kvSubject("node-01"), '{"state":"quarantined"}')).toMatch(
      /Permissions Violation for Publish to "\$KV.presage-hosts.node-01"/,
    );
    expect(await refused(op, `$JS.API.STREAM.PURGE.${KV_STREAM}`)).toMatch(/Permissions Violation/);
    const a1 = await agent("node-01");
    expect(await refused(a1, kvSubject("node-01"), '{"state":"healthy"}')).toMatch(/Permissions Violation/);
    expect(await refused(a1, `$JS.API.STREAM.DELETE.${KV_STREAM}`)).toMatch(/Permissions Violation/);
    expect(await kvValue("node-01")).toBe(before);
  });

  it("security - operators reach the ops service through the import, with a server-vouched identity", async () => {
    const op = await alice();
    const r = await op.request("presage.v1.ops.ack", JSON.stringify({ target: "h2", by: "mallory" }), {
      timeout: 5_000,
    });
    expect(r.json()).toMatchObject({ ok: true });
    expect(fake.calls.find((c) => c.method === "ack")?.actor).toBe("alice");
    // a header forged by the client is replaced by the server's
    await requestWithHeader(
      op,
      "presage.v1.ops.plan-reject",
      JSON.stringify({ id: "p-1" }),
      "Nats-Request-Info",
      JSON.stringify({ acc: "PRESAGE", user: "controller" }),
    );
    expect(fake.calls.find((c) => c.method === "planReject")?.actor).toBe("alice");
    // and discover it with the services API
    expect(await pingServices(op)).toEqual([{ name: "presage-controller", version: "0.1.0" }]);
    // but an operator may not pose as an agent or the controller
    expect(await refused(op, "presage.v1.events.node-01")).toMatch(/Permissions Violation/);
    expect(await refused(op, "presage.v1.commands.node-01")).toMatch(/Permissions Violation/);
  });

  it("security - a malformed or forged payload gets a clear error and changes nothing", async () => {
    const op = await alice();
    const before = fake.calls.length;
    const bad = await op.request("presage.v1.ops.repaired", "{oops", { timeout: 5_000 });
    expect(bad.json()).toEqual({
      ok: false,
      error: { code: "bad_request", message: expect.stringMatching(/not JSON/) },
    });
    const forged = await op.request(
      "presage.v1.ops.maintenance-enter",
      JSON.stringify({ hosts: ["node-01", "$KV.x"] }),
      {
        timeout: 5_000,
      },
    );
    expect(forged.json()).toMatchObject({
      ok: false,
      error: { code: "bad_request", message: expect.stringMatching(/hosts\[1\]/) },
    });
    expect(fake.calls.length).toBe(before);
  });

  it("security - the CLI over TLS with operator credentials, and its errors without them", async () => {
    const base = ["--server", srv.url, "--tls-ca", srv.certs?.ca ?? ""];
    const ok = await presage([
      "hosts",
      ...base,
      "--user",
      "alice",
      "--password",
      srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD,
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^HOST\s+STATE/);
    const creds = await presage(["hosts", ...base, "--user", "alice", "--password", "wrong"]);
    expect(creds.code).toBe(3);
    expect(creds.stderr).toMatch(/refused the credentials/);
    const noCa = await presage(["hosts", "--server", srv.url, "--user", "alice", "--password", "x"]);
    expect(noCa.code).toBe(3);
    expect(noCa.stderr).toMatch(/TLS|certificate/i);
    // operators see the live feeds through the stream imports
    const w = presageWatch(
      [
        "--json",
        "--count",
        "1",
        "--for",
        "30s",
        ...base,
        "--user",
        "bob",
        "--password",
        srv.passwords.PRESAGE_OPERATOR_BOB_PASSWORD,
      ],
      {},
    );
    try {
      await w.ready;
      const a2 = await agent("node-02");
      a2.publish(
        "presage.v1.events.node-02",
        JSON.stringify({
          id: "e",
          ts: 1,
          host: "node-02",
          severity: "info",
          kind: "cleared",
          component: "fan",
          sensor: null,
          reason: "fan ok",
          predictedFailureAt: null,
          confidence: null,
        }),
      );
      await a2.flush();
      expect(await w.exited).toBe(0);
      expect(JSON.parse(w.output())).toMatchObject({ kind: "event", subject: "presage.v1.events.node-02" });
    } finally {
      w.kill();
    }
    // an agent's credentials cannot drive the operator API
    const asAgent = await presage([
      "hosts",
      ...base,
      "--user",
      "agent-node-01",
      "--password",
      srv.passwords.PRESAGE_AGENT_PASSWORD,
    ]);
    expect(asAgent.code).toBe(1);
    expect(asAgent.stderr).toMatch(/NATS refused the request \(Permissions Violation/);
  });
});
