// The nats-server CPU of each kind of JetStream work ingest does, measured alone (docs/benchmarks.md, Ingest):
// `consume` (deliveries of a 30,000-event backlog to a durable pull consumer, each acked),
// `kv` (compare-and-set puts of new keys, pipelined 4,000 deep) and `audit` (stream publishes with a
// Nats-Msg-Id). Prints events/s and the servers' CPU per 1,000 operations, on a three-node cluster with
// R3 assets, or one server with BENCH_R1=1.
// node test/bench/jetstream-costs.mjs consume|kv|audit
import { readFileSync } from "node:fs";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
} from "../../controller/node_modules/@nats-io/jetstream/lib/mod.js";
import { Kvm } from "../../controller/node_modules/@nats-io/kv/lib/mod.js";
import { connect, createInbox, headers } from "../../controller/node_modules/@nats-io/transport-node/lib/mod.js";
import { startNatsCluster } from "../../shared/dist/nats-cluster.js";
import { startNatsServer } from "../../shared/dist/nats-server.js";

const mode = process.argv[2];
if (!["consume", "kv", "audit"].includes(mode)) throw new Error("usage: jetstream-costs.mjs consume|kv|audit");
const r3 = !process.env.BENCH_R1;
const N = 30_000;
const srv = r3 ? await startNatsCluster({ size: 3 }) : await startNatsServer();
const pids = r3 ? srv.nodes.map((n) => n.proc.pid) : [srv.proc.pid];
const cpu = () =>
  pids.map((pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  });
const nc = await connect({ servers: r3 ? srv.urls : srv.url });
const jsm = await jetstreamManager(nc);
const replicas = r3 ? 3 : 1;
await jsm.streams.add({ name: "EV", subjects: ["ev.*"], num_replicas: replicas });
await jsm.streams.add({ name: "AU", subjects: ["au.*"], num_replicas: replicas, duplicate_window: 120e9 });
await new Kvm(nc).create("b", { history: 5, replicas });
// an event as agents send it (the KV values and audit records are about as large)
const body = JSON.stringify({
  id: "bench-t-12345",
  ts: Date.now(),
  host: "host-00001",
  severity: "warning",
  kind: "degradation",
  component: "fan",
  sensor: "FAN1",
  reason: "FAN1 drifting",
  predictedFailureAt: null,
  confidence: 0.5,
});

async function consumeAll() {
  for (let i = 0; i < N; i++) {
    nc.publish(`ev.h${i % 2000}`, body);
    if (i % 5000 === 4999) await nc.flush();
  }
  while ((await jsm.streams.info("EV")).state.messages < N) await new Promise((r) => setTimeout(r, 100));
  const c0 = cpu();
  const t0 = performance.now();
  const cfg = { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 30e9, max_ack_pending: 20_000 };
  await jsm.consumers.add("EV", { ...cfg, deliver_policy: DeliverPolicy.All });
  const msgs = await (await jetstream(nc).consumers.get("EV", "c")).consume({ max_messages: 2000 });
  let n = 0;
  let batch = [];
  for await (const m of msgs) {
    batch.push(m);
    n++;
    if (batch.length >= 1000 || n === N) {
      for (const b of batch) b.ack();
      batch = [];
    }
    if (n >= N) break;
  }
  for (;;) {
    const ci = await jsm.consumers.info("EV", "c");
    if (ci.num_ack_pending === 0 && ci.num_pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  msgs.stop();
  return { c0, t0 };
}

async function publishAll() {
  const c0 = cpu();
  const t0 = performance.now();
  const inbox = createInbox();
  let acked = 0;
  let done;
  const all = new Promise((r) => (done = r));
  nc.subscribe(`${inbox}.*`, { callback: () => ++acked === N && done() });
  for (let i = 0; i < N; i++) {
    const h = headers();
    if (mode === "kv") h.set("Nats-Expected-Last-Subject-Sequence", "0");
    else h.set("Nats-Msg-Id", `transition:host-${i}:healthy:suspect:${t0}`);
    nc.publish(mode === "kv" ? `$KV.b.k${i}` : "au.x", body, { reply: `${inbox}.${i}`, headers: h });
    if (i % 1000 === 999) {
      await nc.flush();
      while (i + 1 - acked > 4000) await new Promise((r) => setTimeout(r, 1));
    }
  }
  await all;
  return { c0, t0 };
}

const { c0, t0 } = mode === "consume" ? await consumeAll() : await publishAll();
const t1 = performance.now();
const c1 = cpu();
const per = (x) => ((x * 1e6) / N).toFixed(0);
console.log(
  `${mode} (${r3 ? "three-node cluster, R3" : "one nats-server"}): ${Math.round((N / (t1 - t0)) * 1000).toLocaleString()}/s; ` +
    `nats-server CPU per 1,000: ${c1.map((c, i) => per(c - c0[i])).join(" + ")} = ${per(c1.reduce((a, b) => a + b) - c0.reduce((a, b) => a + b))} ms`,
);
await nc.close();
await srv.stop();
