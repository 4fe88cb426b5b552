/**
 * Chaos harness: the simulated hypervisor lives in the test process (served over NATS, so it
 * survives the controller), the controller runs as a child process from the built dist/ so it
 * can be killed with SIGKILL at any moment.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AuditRecord,
  type Clock,
  connectNats,
  type NatsConnection,
  silentLogger,
  subjects,
} from "@presage/shared";
import { SimEngine, type SimFleet, serveEngine } from "../../controller/src/migration/index.js";
import type { EngineServer } from "../../controller/src/migration/remote/server.js";
import { openStore, type Store } from "../../controller/src/store/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "controller/dist/bin/presage-controller.js");

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return t;
}

const upToDate = () =>
  existsSync(BIN) &&
  statSync(BIN).mtimeMs >= Math.max(newestSource(join(ROOT, "controller/src")), newestSource(join(ROOT, "shared/src")));

/**
 * The chaos tests run the real binary from dist/ (`pnpm build`, which the test command runs
 * first). Rebuild only when sources are newer, one test file at a time (a lock directory).
 */
export async function buildController(): Promise<void> {
  if (upToDate()) return;
  const lock = join(ROOT, "controller/dist/.chaos-build.lock");
  mkdirSync(join(ROOT, "controller/dist"), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 600) throw new Error(`stale build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (upToDate()) return;
    try {
      execFileSync("npx", ["tsc", "-b", "controller"], { cwd: ROOT, stdio: "pipe", timeout: 240_000 });
    } catch (e) {
      // another part of the tree may not type-check right now; the emitted JS is what we need
      if (!existsSync(BIN)) throw e;
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export type ControllerProc = { name: string; proc: ChildProcess; kill9(): Promise<void>; stop(): Promise<void> };

export function startControllerProc(url: string, name: string, over: Record<string, unknown> = {}): ControllerProc {
  const dir = mkdtempSync(join(tmpdir(), "presage-chaos-"));
  const file = join(dir, "controller.json");
  const cfg = {
    nats: { url },
    name,
    engine: { kind: "remote", remote: { timeoutMs: 5_000, pollMs: 200 } },
    clockSpeed: 4,
    leader: { enabled: true, leaseTtlMs: 2_000 },
    reconcile: { intervalMs: 1_000 },
    concurrency: { perSource: 4, perTarget: 3, fleet: 8 },
    brake: { maxHosts: 3, maxPercent: 50 },
    ...over,
  };
  writeFileSync(file, JSON.stringify(cfg));
  const proc = spawn(process.execPath, [BIN, "run", "--config", file], {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, PRESAGE_LOG_LEVEL: "warn" },
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    name,
    proc,
    async kill9() {
      if (!gone()) proc.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (!gone()) proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Hypervisor = { engine: SimEngine; nc: NatsConnection; server: EngineServer; close(): Promise<void> };

export async function startHypervisor(url: string, fleet: SimFleet, clock: Clock): Promise<Hypervisor> {
  const nc = await connectNats({ url });
  const engine = new SimEngine({ ...fleet, clock, log: silentLogger });
  const server = serveEngine(nc, engine, { progressIntervalMs: 100 });
  return {
    engine,
    nc,
    server,
    async close() {
      await server.stop();
      await engine.close();
      await nc.close();
    },
  };
}

/** Every audit record as it is published (core subscription). */
export function watchAudit(nc: NatsConnection): { records: AuditRecord[]; stop(): void } {
  const records: AuditRecord[] = [];
  const sub = nc.subscribe(subjects.allAudit, { callback: (_e, m) => records.push(m.json<AuditRecord>()) });
  return { records, stop: () => sub.unsubscribe() };
}

/** The controller's durable state as the next leader would read it. */
export async function readStore(nc: NatsConnection): Promise<Store> {
  const s = await openStore(nc, silentLogger);
  await s.load();
  return s;
}

/** One host with `n` small VMs to evacuate, five roomy healthy hosts with some load. */
export function chaosFleet(n: number): SimFleet {
  const hosts = Array.from({ length: 6 }, (_, i) => ({ name: `c${i}`, cpuCapacity: 128, memoryMiB: 512 * 1024 }));
  const vms = [
    ...Array.from({ length: n }, (_, j) => ({
      id: `s-${j}`,
      host: "c0",
      memoryMiB: 2048,
      vcpus: 1,
      cpuDemand: 0.5,
      dirtyRateMiBps: 5,
    })),
    ...hosts.slice(1).flatMap((h, i) =>
      Array.from({ length: 6 }, (_, j) => ({
        id: `o${i}-${j}`,
        host: h.name,
        memoryMiB: 4096,
        vcpus: 2,
        cpuDemand: 1,
      })),
    ),
  ];
  return { hosts, vms };
}
