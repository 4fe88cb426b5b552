/**
 * The demo's running system, without the story: its own nats-server, a simulated fleet (SimEngine),
 * the controller with its ops service and dashboard in this process, and one real `presage-agent`
 * process per host on one shared simulated timeline. The story (index.ts) and the dashboard's browser
 * test (test/e2e/dashboard.test.ts) both drive it. `stop()` ends every process it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Controller,
  type ControllerConfig,
  controllerConfig,
  createController,
  type Dashboard,
  generateFleet,
  hashToken,
  SimEngine,
  startDashboard,
  startOpsService,
} from "@presage/controller";
import {
  type Clock,
  connectNats,
  type DeepPartial,
  type NatsConnection,
  scaledClock,
  silentLogger,
  startNatsServer,
  stopProc,
  withOverrides,
} from "@presage/shared";
import { binOf } from "./bins.js";

const AGENT_BIN = binOf("@presage/agent", "presage-agent");
const HOUR = 3_600_000;

export type Fault = Record<string, unknown>;

export type DemoFleetOptions = {
  hosts: number;
  vmsPerHost: number;
  /** simulated seconds per real second */
  speed: number;
  seed: number;
  /** dashboard address ("HOST:PORT"); null: no dashboard */
  listen: string | null;
  /** the faults of each host's simulated BMC, given its index and when the simulated timeline starts */
  faults?: (host: string, index: number, startMs: number) => Fault[];
  /** controller overrides on top of the demo's (tests) */
  controller?: DeepPartial<ControllerConfig>;
  /** told when an agent cannot start */
  onAgentError?: (host: string, e: Error) => void;
};

/** The operator the demo's dashboard lets in; the token is new every run. */
export const DEMO_USER = "demo";

export class DemoFleet {
  /** the demo's working directory: agent configs and logs (gone after stop) */
  readonly dir = mkdtempSync(join(tmpdir(), "presage-demo-"));
  readonly #agents = new Map<string, ChildProcess>();
  readonly #cleanups: (() => Promise<void>)[] = [];
  #stopped = false;
  /** the one simulated timeline every process of the demo shares */
  #timeline = { startMs: 0, realStartMs: 0 };
  natsUrl = "";
  nc!: NatsConnection;
  clock!: Clock;
  engine!: SimEngine;
  ctl!: Controller;
  dashboard: Dashboard | null = null;
  /** the dashboard login for DEMO_USER */
  readonly token = randomBytes(12).toString("base64url");
  hosts: string[] = [];
  /** VM id -> the host it starts on */
  home = new Map<string, string>();

  constructor(readonly o: DemoFleetOptions) {}

  async start(): Promise<this> {
    const nats = await startNatsServer();
    this.#cleanups.push(() => nats.stop());
    this.natsUrl = nats.url;
    this.nc = await connectNats({ url: nats.url, name: "presage-demo" });
    this.#cleanups.push(() => this.nc.close());
    // simulated time starts in the past so it ends near the wall clock: timestamps read naturally
    const realT0 = Date.now();
    this.#timeline = { startMs: realT0 - 16 * HOUR, realStartMs: realT0 };
    this.clock = scaledClock(this.o.speed, this.#timeline.startMs, realT0);

    const fleet = generateFleet({
      hosts: this.o.hosts,
      vmsPerHost: this.o.vmsPerHost,
      seed: this.o.seed,
      memoryMiB: 262_144,
    });
    this.engine = new SimEngine({ ...fleet, clock: this.clock, seed: this.o.seed, log: silentLogger });
    this.#cleanups.push(() => this.engine.close());
    this.hosts = fleet.hosts.map((h) => h.name);
    this.home = new Map(fleet.vms.map((v) => [v.id, v.host]));

    const base: DeepPartial<ControllerConfig> = {
      nats: { url: nats.url },
      name: "demo-controller",
      leader: { enabled: false, leaseTtlMs: 60_000 },
      reconcile: { intervalMs: 60_000 },
      heartbeat: { lostAfterMs: 30 * 60_000 },
      returns: { gracePeriodMs: 20 * 60_000, waveSize: 3 },
      alerts: { escalationIntervalMs: 24 * HOUR },
      http: { listen: this.o.listen, tokens: { [DEMO_USER]: hashToken(this.token) } },
    };
    const config = controllerConfig(withOverrides(base, this.o.controller ?? {}));
    this.ctl = await createController({
      nc: this.nc,
      engine: this.engine,
      config,
      clock: this.clock,
      log: silentLogger,
    });
    await this.ctl.start();
    this.#cleanups.push(() => this.ctl.stop());
    const ops = await startOpsService(this.nc, this.ctl, { log: silentLogger });
    this.#cleanups.push(() => ops.stop());
    if (config.http.listen) {
      const d = await startDashboard({ nc: this.nc, controller: this.ctl, http: config.http, log: silentLogger });
      this.dashboard = d;
      this.#cleanups.push(() => d.stop());
    }
    for (const [i, h] of this.hosts.entries())
      this.startAgent(h, i, this.o.faults?.(h, i, this.#timeline.startMs) ?? []);
    return this;
  }

  /** Start (or restart) the agent of one host, its simulated BMC carrying these faults. */
  startAgent(host: string, i: number, faults: Fault[]): void {
    const cfg = {
      host,
      nats: { url: this.natsUrl },
      pollIntervalMs: 60_000,
      heartbeatIntervalMs: 60_000,
      sources: [{ kind: "simulated", seed: this.o.seed * 100 + i, faults }],
      // a 6 h evacuation horizon (default 24 h) so warning, then critical, fit in a one-minute story
      detect: { horizonMs: 6 * HOUR },
      clock: { speed: this.o.speed, ...this.#timeline },
    };
    const file = join(this.dir, `agent-${host}.json`);
    writeFileSync(file, JSON.stringify(cfg));
    const log = openSync(join(this.dir, `agent-${host}.log`), "a");
    const child = spawn(process.execPath, [AGENT_BIN, "run", "--config", file], {
      stdio: ["ignore", log, log],
      env: { ...process.env, PRESAGE_LOG_LEVEL: "warn" },
    });
    child.once("error", (e) => this.o.onAgentError?.(host, e));
    this.#agents.set(host, child);
  }

  async stopAgent(host: string): Promise<void> {
    const child = this.#agents.get(host);
    this.#agents.delete(host);
    if (child) await stopProc(child);
  }

  /** The engineer's fix: the host's agent restarts on healthy hardware. */
  async replaceHardware(host: string): Promise<void> {
    await this.stopAgent(host);
    this.startAgent(host, this.hosts.indexOf(host), []);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all([...this.#agents.values()].map((c) => stopProc(c)));
    this.#agents.clear();
    for (const c of this.#cleanups.reverse()) await c().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
