/**
 * deploy/nats/cluster: three nodes with the production accounts, client TLS and mutual-TLS routes. The real
 * controller creates its streams and KV buckets with replicas 3 there (raising ones made before the cluster),
 * an agent's events survive kill -9 of the node its connection used, and asking for more replicas than the
 * cluster has servers is a clear start-up error, on a cluster and on a lone server.
 */
import { execFileSync } from "node:child_process";
import {
  connectNats,
  ensureStreams,
  inboxes,
  type NatsConnection,
  resolveReplicas,
  STREAM_AUDIT,
  STREAM_EVENTS,
  scaledClock,
  subjects,
} from "@presage/shared";
import { startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { criticalFanEvent, poll } from "../e2e/harness.js";
import { type Leader, startLeader } from "../e2e/leader.js";
import { type SecureCluster, startSecureCluster } from "../security/secure-server.js";

const DEPLOY = new URL("../../deploy/nats/cluster/", import.meta.url).pathname;
// the hosts deploy/nats/accounts.conf has agent users for
const names = ["node-01", "node-02", "node-03"];
const fleet = {
  hosts: names.map((name) => ({ name, cpuCapacity: 32, memoryMiB: 64 * 1024 })),
  vms: names.flatMap((h, i) => [0, 1].map((j) => ({ id: `v${i}-${j}`, host: h, memoryMiB: 4096, vcpus: 2 }))),
};
const host = "node-01";

describe("the three-node cluster deployment", () => {
  let srv: SecureCluster;
  let nc: NatsConnection;
  let leader: Leader;
  const connectAs = (user: string, pass: string, inboxPrefix: string) =>
    connectNats({ url: srv.url, user, pass, tls: { ca: srv.certs?.ca }, inboxPrefix });

  beforeAll(async () => {
    srv = await startSecureCluster({ tls: true });
    nc = await connectAs("controller", srv.passwords.PRESAGE_CONTROLLER_PASSWORD, inboxes.controller);
    // a deployment that grew from one server: its audit stream was made with one replica
    await js(nc, `STREAM.CREATE.${STREAM_AUDIT}`, { name: STREAM_AUDIT, subjects: ["presage.v1.audit.>"] });
    leader = await startLeader({ nc, fleet, clock: scaledClock(20), name: "ctl-cluster" });
  });
  afterAll(async () => {
    await leader?.stop();
    await nc?.close();
    await srv?.stop();
  });

  it("parses as nats-server config (every node file)", () => {
    for (const n of [1, 2, 3]) {
      let out = "";
      try {
        // nats-server parses an environment variable as a config value: a password must not start with a digit
        const secrets = Object.fromEntries(Object.keys(srv.passwords).map((k) => [k, "a-secret"]));
        const env = { ...process.env, ...secrets, PATH: `${process.env.PATH}:/usr/sbin` };
        execFileSync("nats-server", ["-c", `${DEPLOY}presage-nats-${n}.conf`, "-t"], { stdio: "pipe", env });
      } catch (e) {
        out = String((e as { stderr?: Buffer }).stderr ?? e);
      }
      // the only complaint on a machine without /etc/presage/tls is the missing certificate files
      expect(out.replace(/.*(no such file or directory|X509).*\n?/g, "").trim()).toBe("");
    }
  });

  it("has the controller create every stream and bucket with replicas 3, raising an older R1 stream", async () => {
    expect(resolveReplicas(nc)).toBe(3);
    for (const s of [STREAM_EVENTS, STREAM_AUDIT, "KV_presage-hosts", "KV_presage-vms", "KV_presage-control"]) {
      const info = await js(nc, `STREAM.INFO.${s}`);
      expect([s, info.config.num_replicas]).toEqual([s, 3]);
    }
  });

  it("keeps an agent's events and the controller working through kill -9 of the node they were on", async () => {
    const agent = await connectAs(`agent-${host}`, srv.passwords.PRESAGE_AGENT_PASSWORD, inboxes.agent(host));
    try {
      const publish = async (ts: number) => {
        const r = await agent.request(subjects.events(host), JSON.stringify(criticalFanEvent(host, ts)), {
          timeout: 5_000,
        });
        return r.json<{ stream?: string; seq?: number }>();
      };
      expect((await publish(Date.now())).stream).toBe(STREAM_EVENTS);
      const victim = srv.cluster.urls.indexOf(`nats://${agent.getServer()}`);
      expect(victim).toBeGreaterThanOrEqual(0);
      await srv.cluster.kill(victim);
      try {
        await survives(agent, publish, victim);
      } finally {
        await srv.cluster.start(victim);
      }
      const info = await js(nc, `STREAM.INFO.${STREAM_EVENTS}`);
      expect(info.state.messages).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.close();
    }
  }, 240_000);

  /** What must hold while one node is down: events stored, the agent on another node, the controller acting. */
  async function survives(agent: NatsConnection, publish: (ts: number) => Promise<{ seq?: number }>, victim: number) {
    const after = await poll("an event stored after the kill", async () => (await publish(Date.now())).seq);
    expect(after).toBeGreaterThanOrEqual(2);
    expect(srv.cluster.urls.indexOf(`nats://${agent.getServer()}`)).not.toBe(victim);
    // the controller acts on it: the host goes into evacuation on the surviving two nodes. A leader that lost its
    // lease in the failover takes over again once JetStream has re-elected (on a loaded machine that took >60 s)
    await poll(
      "host evacuating",
      async () => {
        const h = (await leader.ctl.hosts({})).hosts.find((x) => x.host === host);
        return h && h.state !== "healthy";
      },
      150_000,
    );
  }

  it("has the CLI fail over to the next URL of its list when the first node is down", async () => {
    assertBuilt();
    await srv.cluster.kill(0);
    try {
      const r = await presage([
        "hosts",
        "--json",
        ...["--server", srv.url, "--tls-ca", srv.certs?.ca ?? ""],
        ...["--user", "alice", "--password", srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD],
      ]);
      expect([r.code, r.stderr], r.stdout).toEqual([0, ""]);
      expect(JSON.parse(r.stdout).hosts.map((h: { host: string }) => h.host)).toEqual(names);
    } finally {
      await srv.cluster.start(0);
    }
  });

  it("refuses more replicas than the cluster has servers, with a clear error", async () => {
    expect(() => resolveReplicas(nc, 6)).toThrow(/integer 1-5/);
    await expect(ensureStreams(nc, {}, 5)).rejects.toThrow(
      /nats.replicas is 5 but the NATS cluster "presage" has \d servers? up/,
    );
  });
});

describe("a lone server", () => {
  it("gets one replica on auto and refuses three", async () => {
    const ns = await startNatsServer();
    const nc = await connectNats({ url: ns.url });
    try {
      expect(resolveReplicas(nc)).toBe(1);
      expect(resolveReplicas(nc, 1)).toBe(1);
      await expect(ensureStreams(nc, {}, 3)).rejects.toThrow(/nats.replicas is 3 but the NATS server is not clustered/);
    } finally {
      await nc.close();
      await ns.stop();
    }
  });
});

type StreamInfo = { config: { num_replicas: number }; state: { messages: number } };

/** A JetStream API request ($JS.API.<api>); throws on the API's error reply. */
async function js(nc: NatsConnection, api: string, body: unknown = ""): Promise<StreamInfo> {
  const r = (await nc.request(`$JS.API.${api}`, body === "" ? "" : JSON.stringify(body), { timeout: 5_000 })).json<
    StreamInfo & { error?: { description: string } }
  >();
  if (r.error) throw new Error(r.error.description);
  return r;
}
