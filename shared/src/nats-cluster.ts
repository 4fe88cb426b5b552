/**
 * Start a real three-node (or N-node) nats-server cluster with JetStream on random loopback ports: full-mesh
 * routes, one temp store per node, a monitor port per node for health. Tests and benches use it to run
 * Presage on R3 state and to kill -9 one node and bring it back, as a data center would see. The process
 * handling (spawn, wait for ready, stop, relaunch on the same ports) is nats-server.ts's.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./clock.js";
import { findBin, launch, relaunch, stopProc } from "./nats-server.js";

/**
 * The default node config. Placeholders: {{NAME}} (server_name), {{PORT}}, {{HTTP_PORT}}, {{CLUSTER_PORT}},
 * {{CLUSTER_NAME}}, {{ROUTES}} (the other nodes' route URLs, comma-separated), {{STORE}}.
 */
export const CLUSTER_NODE_CONFIG = `server_name: {{NAME}}
listen: 127.0.0.1:{{PORT}}
http: 127.0.0.1:{{HTTP_PORT}}
jetstream { store_dir: "{{STORE}}" }
cluster {
  name: {{CLUSTER_NAME}}
  listen: 127.0.0.1:{{CLUSTER_PORT}}
  routes: [{{ROUTES}}]
}
`;

export type NatsClusterNode = {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly clusterPort: number;
  /** the HTTP monitor (`/healthz`, `/jsz`, `/varz`) */
  readonly monitorUrl: string;
  readonly storeDir: string;
  /** the current process (replaced by start) */
  proc: ChildProcess;
  /** false between kill() and start() */
  readonly running: boolean;
};

export type NatsClusterHandle = {
  readonly nodes: readonly NatsClusterNode[];
  /** every node's client URL */
  readonly urls: string[];
  /** the URLs comma-separated, as the `nats.url` setting takes them */
  readonly url: string;
  /** SIGKILL node i (a crash: no lame-duck, no flush) */
  kill(i: number): Promise<void>;
  /** start node i again on its ports and store, and wait until the cluster is healthy again */
  start(i: number): Promise<void>;
  /** kill(i) then start(i) */
  restart(i: number): Promise<void>;
  /** wait until every running node reports JetStream healthy (meta leader known, streams current) */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** stop every node; removes the stores unless `cleanup: false` */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
};

export type StartNatsClusterOptions = {
  /** number of nodes (default 3) */
  size?: number;
  /** node config template (default CLUSTER_NODE_CONFIG); see its placeholders */
  config?: string;
  clusterName?: string;
  bin?: string;
  /** per node start (default 20 s) */
  startTimeoutMs?: number;
  /** for the cluster to become JetStream-healthy, at start and after start(i) (default 120 s: a node catching
   * up on a loaded machine takes a while) */
  healthyTimeoutMs?: number;
};

type Ports = { client: number; http: number; cluster: number };
type Node = NatsClusterNode & { running: boolean; args: string[] };

function listenAny(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

/** Ask the OS for free loopback ports, holding them all at once so they differ, then release them. */
async function freePorts(n: number): Promise<Ports[]> {
  const held = await Promise.all(
    Array.from({ length: n }, () => Promise.all([listenAny(), listenAny(), listenAny()] as const)),
  );
  const port = (s: Server) => (s.address() as AddressInfo).port;
  const ports = held.map(([c, h, r]) => ({ client: port(c), http: port(h), cluster: port(r) }));
  await Promise.all(held.flat().map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function nodeConfig(template: string, i: number, all: Ports[], clusterName: string, store: string): string {
  const self = all[i] as Ports;
  const routes = all
    .filter((p) => p !== self)
    .map((p) => `nats-route://127.0.0.1:${p.cluster}`)
    .join(", ");
  const fill: Record<string, string> = {
    NAME: `n${i + 1}`,
    PORT: String(self.client),
    HTTP_PORT: String(self.http),
    CLUSTER_PORT: String(self.cluster),
    CLUSTER_NAME: clusterName,
    ROUTES: routes,
    STORE: store,
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (m, k: string) => fill[k] ?? m);
}

/**
 * GET /healthz: nats-server 2.9 answers 200 only when JetStream has a meta leader and its assets are current.
 * Null when healthy, else the server's own words (which stream or consumer is behind), for the error.
 */
async function unhealthy(monitorUrl: string): Promise<string | null> {
  try {
    const r = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    if (r.ok) return null;
    const body = (await r.text()).trim();
    let error: unknown;
    try {
      error = (JSON.parse(body) as { error?: unknown }).error;
    } catch {
      // not JSON: the body itself says why
    }
    return (typeof error === "string" ? error : body.slice(0, 200)) || `HTTP ${r.status}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The ports are free when picked but not held: if another process takes one first, start again on new ones. */
export async function startNatsCluster(opts: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !/address already in use/i.test(String(e))) throw e;
    }
  }
}

async function startOnce(opts: StartNatsClusterOptions): Promise<NatsClusterHandle> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error("startNatsCluster: size must be a positive integer");
  const bin = findBin(opts.bin);
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), "presage-nats-cluster-"));
  const ports = await freePorts(size);
  const argsOf = ports.map((_, i) => {
    const nodeDir = join(dir, `n${i + 1}`);
    mkdirSync(nodeDir, { recursive: true });
    const conf = join(nodeDir, "server.conf");
    const template = opts.config ?? CLUSTER_NODE_CONFIG;
    writeFileSync(conf, nodeConfig(template, i, ports, opts.clusterName ?? "presage", join(nodeDir, "js")));
    return ["-c", conf];
  });
  const launched = await Promise.allSettled(argsOf.map((a) => launch(bin, a, timeoutMs)));
  const failed = launched.find((l) => l.status === "rejected");
  if (failed) {
    await Promise.all(launched.map((l) => (l.status === "fulfilled" ? stopProc(l.value.proc, "SIGKILL") : null)));
    rmSync(dir, { recursive: true, force: true });
    throw failed.reason;
  }
  const nodes: Node[] = launched.map((l, i) => {
    const p = ports[i] as Ports;
    return {
      name: `n${i + 1}`,
      url: `nats://127.0.0.1:${p.client}`,
      port: p.client,
      clusterPort: p.cluster,
      monitorUrl: `http://127.0.0.1:${p.http}`,
      storeDir: join(dir, `n${i + 1}`, "js"),
      proc: (l as PromiseFulfilledResult<{ proc: ChildProcess }>).value.proc,
      running: true,
      args: argsOf[i] as string[],
    };
  });
  const node = (i: number): Node => {
    const n = nodes[i];
    if (!n) throw new Error(`nats cluster: no node ${i} (the cluster has ${size})`);
    return n;
  };
  const handle: NatsClusterHandle = {
    nodes,
    urls: nodes.map((n) => n.url),
    url: nodes.map((n) => n.url).join(","),
    async kill(i) {
      node(i).running = false;
      await stopProc(node(i).proc, "SIGKILL");
    },
    async start(i) {
      node(i).proc = (await relaunch(bin, node(i).args, timeoutMs)).proc;
      node(i).running = true;
      await handle.waitHealthy();
    },
    async restart(i) {
      await handle.kill(i);
      await handle.start(i);
    },
    async waitHealthy(ms = opts.healthyTimeoutMs ?? 120_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const up = nodes.filter((n) => n.running);
        const why = await Promise.all(up.map((n) => unhealthy(n.monitorUrl)));
        if (why.every((w) => w === null)) return;
        if (Date.now() > deadline) {
          const sick = up.flatMap((n, j) => (why[j] === null ? [] : [`${n.name} (${why[j]})`]));
          throw new Error(`nats cluster: ${sick.join(", ")} not JetStream-healthy after ${ms} ms (/healthz)`);
        }
        await sleep(100);
      }
    },
    async stop(o = {}) {
      for (const n of nodes) n.running = false;
      await Promise.all(nodes.map((n) => stopProc(n.proc)));
      if (o.cleanup !== false) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await handle.waitHealthy();
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
}
