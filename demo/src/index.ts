/**
 * `presage demo`: a self-contained run of the whole system on one machine. It starts its own
 * nats-server, a simulated fleet (SimEngine), the controller and its ops service in this process,
 * and one real `presage-agent` process per simulated host; injects fan bearing wear on one host in
 * accelerated time, and narrates what happens: detection, evacuation, acknowledgment, repair,
 * the VMs going home. Every process it starts is stopped on exit, also on Ctrl-C.
 */
import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import type { SimEngine } from "@presage/controller";
import {
  type AuditRecord,
  type HostRecord,
  HostState,
  type NatsConnection,
  parseListen,
  type Reading,
  type ReadingBatch,
  type SensorEvent,
  sleep,
  subjects,
} from "@presage/shared";
import { binOf } from "./bins.js";
import { DEMO_USER, DemoFleet } from "./fleet.js";
import { Narrator, type Summary } from "./narrator.js";
import { waitHealthy } from "./wait-healthy.js";

const CLI_BIN = binOf("@presage/cli", "presage");
const HOUR = 3_600_000;

const HELP = `presage demo: watch Presage save a fleet from a failing fan, in under a minute

Starts its own nats-server on a free port, a simulated fleet (6 hosts, 30 VMs, one real
presage-agent process per host), the controller, and wears out a fan bearing on one host
in accelerated time. Nothing to set up; every process is stopped at the end.

The controller serves its dashboard while the story runs (a line "dashboard: http://..." says
where, with a login for the run); --serve keeps the fleet, controller and dashboard running after
the story until Ctrl-C (SIGINT) or SIGTERM.

Options:
  --speed N           simulated seconds per real second (default 1500)
  --seed N            fleet and sensor noise seed (default 7)
  --serve             keep everything running after the story, until Ctrl-C
  --listen HOST:PORT  the dashboard's address (default 127.0.0.1:0, any free port)
  --json              print only the final summary, as JSON, on stdout (the story goes to stderr)
  -h, --help          this text

Examples:
  presage demo --speed 2000
  presage demo --serve          # then open the printed dashboard URL
`;

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      speed: { type: "string", default: "1500" },
      seed: { type: "string", default: "7" },
      json: { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
      listen: { type: "string", default: "127.0.0.1:0" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const speed = Number(values.speed);
  const seed = Number(values.seed);
  if (!Number.isFinite(speed) || speed < 1 || !Number.isInteger(seed)) {
    process.stderr.write("presage demo: --speed must be a number >= 1 and --seed an integer\n");
    return 2;
  }
  try {
    parseListen(values.listen, "--listen");
  } catch {
    process.stderr.write(`presage demo: --listen must be HOST:PORT (e.g. 127.0.0.1:8080), got ${values.listen}\n`);
    return 2;
  }
  const demo = new Demo({ speed, seed, listen: values.listen }, values.json ? process.stderr : process.stdout);
  // a signal during the story stops everything at once; after it, with --serve, it ends the serving
  let stopServing = () => {};
  let serving = false;
  const onSignal = () => {
    if (serving) stopServing();
    else void demo.cleanup().then(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const summary = await demo.run();
    if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else demo.narrator.summary(summary);
    const ok = summary.vmsLost === 0 && summary.vmsHome === summary.vms;
    if (values.serve && demo.fleet?.dashboard) {
      serving = true;
      const done = new Promise<void>((resolve) => {
        stopServing = resolve;
      });
      demo.narrator.dashboard(demo.fleet.dashboard.url, DEMO_USER, demo.fleet.token);
      demo.narrator.say("the story is over; the fleet keeps running: Ctrl-C stops it");
      await done;
    }
    return ok ? 0 : 1;
  } catch (e) {
    process.stderr.write(`presage demo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await demo.cleanup();
  }
}

class Demo {
  readonly narrator: Narrator;
  readonly #speed: number;
  readonly #seed: number;
  readonly #listen: string;
  fleet: DemoFleet | null = null;

  constructor(o: { speed: number; seed: number; listen: string }, out: NodeJS.WritableStream) {
    this.#speed = o.speed;
    this.#seed = o.seed;
    this.#listen = o.listen;
    this.narrator = new Narrator(out);
  }

  async run(): Promise<Summary> {
    const realStart = Date.now();
    const n = this.narrator;
    const sickIndex = 2;
    const f = new DemoFleet({
      hosts: 6,
      vmsPerHost: 5,
      speed: this.#speed,
      seed: this.#seed,
      listen: this.#listen,
      // bearing wear starts 20 simulated minutes into the timeline
      faults: (_h, i, t0) =>
        i === sickIndex
          ? [{ kind: "fan-wear", fan: 2, start: t0 + 20 * 60_000, durationMs: 9 * HOUR, stop: true }]
          : [],
      onAgentError: (h, e) => n.say(`agent ${h} could not start: ${e.message}`, "bad"),
    });
    this.fleet = f;
    await f.start();
    const { clock, engine, ctl, home } = f;
    const sick = f.hosts[sickIndex] as string;
    n.start(clock, this.#speed, f.natsUrl);
    if (f.dashboard) n.dashboard(f.dashboard.url, DEMO_USER, f.token);
    n.say(`fleet: ${f.hosts.length} hosts, ${home.size} VMs; ${sick} runs ${countOn(home, sick)} of them`);

    // what the narrator watches: events, audit, migrations, and the sick host's BMC alarms
    const seen = watch(f.nc, sick, n);
    n.say(
      `${f.hosts.length} agents polling simulated BMCs every minute; bearing wear begins on ${sick} FAN3 at T+00:20`,
    );

    // 1. detection and evacuation
    const critical = await seen.until("critical event", () => seen.critical, 120_000);
    const evacuated = await this.#waitState(ctl, sick, HostState.Quarantined, 90_000);
    const evacStartTs = seen.stateTs.get(HostState.Evacuating) ?? critical.ts;
    n.say(`${sick} is empty and quarantined: ${seen.migrationsDone} VMs moved`, "good");
    await assertPlacement(engine, [...home.keys()]);

    // 2. the on-call engineer acknowledges the alert with the real CLI
    await this.#cli(n, f.natsUrl, ["ack", sick, "--note", "fan ticket FAC-1142 opened"]);

    // 3. the fan keeps wearing on the empty host until the BMC itself alarms (or long enough)
    const bmcAlarm = await seen.until("BMC threshold", () => seen.bmcAlarmTs, 60_000).catch(() => null);

    // 4. repair: new fan (the agent restarts with healthy hardware), then `presage repaired`
    n.say(`engineer replaces FAN3 on ${sick}`);
    seen.repaired = true;
    await f.replaceHardware(sick);
    await waitHealthy(ctl, sick, 60_000);
    await this.#cli(n, f.natsUrl, ["repaired", sick, "--note", "FAN3 replaced"]);
    const returnStart = clock.now();
    await this.#waitState(ctl, sick, HostState.Healthy, 120_000, true);
    const vmsHome = await waitHome(engine, home, 60_000);
    n.say(`${sick} is healthy again and its VMs are home`, "good");
    await this.#cli(n, f.natsUrl, ["hosts"]);
    seen.stop();

    const located = await Promise.all([...home.keys()].map((id) => engine.locate(id)));
    const warningTs = seen.warning?.ts ?? null;
    return {
      vms: home.size,
      vmsMoved: seen.migrationsDone,
      vmsLost: located.filter((h) => h === null).length,
      vmsHome,
      sickHost: sick,
      warningLeadH: bmcAlarm && warningTs ? round1((bmcAlarm - warningTs) / HOUR) : null,
      criticalLeadH: bmcAlarm ? round1((bmcAlarm - critical.ts) / HOUR) : null,
      evacuationSimS: Math.round(((evacuated.since ?? evacStartTs) - evacStartTs) / 1000),
      returnSimS: Math.round((clock.now() - returnStart) / 1000),
      realSeconds: round1((Date.now() - realStart) / 1000),
      workDir: f.dir,
    };
  }

  /** Run the real CLI against the demo's server, and show the command and its output. */
  #cli(n: Narrator, url: string, args: string[]): Promise<void> {
    n.command(`presage ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI_BIN, ...args],
        { env: { ...process.env, NATS_URL: url, NO_COLOR: "1" }, timeout: 20_000 },
        (err, stdout, stderr) => {
          n.output(stdout || stderr || (err ? err.message : ""));
          resolve();
        },
      );
    });
  }

  async #waitState(
    ctl: { hosts(r: object): Promise<{ hosts: HostRecord[] }> },
    host: string,
    state: HostState,
    realTimeoutMs: number,
    strict = false,
  ): Promise<HostRecord> {
    const deadline = Date.now() + realTimeoutMs;
    for (;;) {
      const rec = (await ctl.hosts({})).hosts.find((h) => h.host === host);
      if (rec?.state === state) return rec;
      if (!strict && rec && rank(rec.state) > rank(state)) return rec;
      if (Date.now() > deadline)
        throw new Error(`${host} did not reach ${state} in ${realTimeoutMs / 1000} s (it is ${rec?.state})`);
      await sleep(50);
    }
  }

  async cleanup(): Promise<void> {
    await this.fleet?.stop();
  }
}

const ORDER: HostState[] = [HostState.Degraded, HostState.Evacuating, HostState.Quarantined];
const rank = (s: HostState) => ORDER.indexOf(s);
const round1 = (x: number) => Math.round(x * 10) / 10;
const countOn = (home: Map<string, string>, host: string) => [...home.values()].filter((h) => h === host).length;

/** Every VM exists on exactly one host (the engine is the truth). */
async function assertPlacement(engine: SimEngine, ids: string[]): Promise<void> {
  const where = await Promise.all(ids.map((id) => engine.locate(id)));
  const lost = ids.filter((_, i) => where[i] === null);
  if (lost.length) throw new Error(`VMs lost: ${lost.join(", ")}`);
}

async function waitHome(engine: SimEngine, home: Map<string, string>, realTimeoutMs: number): Promise<number> {
  const deadline = Date.now() + realTimeoutMs;
  for (;;) {
    const where = await Promise.all([...home.keys()].map((id) => engine.locate(id)));
    const atHome = [...home.values()].filter((h, i) => where[i] === h).length;
    if (atHome === home.size || Date.now() > deadline) return atHome;
    await sleep(100);
  }
}

type Watcher = {
  warning: SensorEvent | null;
  critical: SensorEvent | null;
  bmcAlarmTs: number | null;
  migrationsDone: number;
  repaired: boolean;
  stateTs: Map<string, number>;
  until<T>(what: string, get: () => T | null, realTimeoutMs: number): Promise<T>;
  stop(): void;
};

/** Subscribe to what the story needs and narrate it as it happens. */
function watch(nc: NatsConnection, sick: string, n: Narrator): Watcher {
  const w: Watcher = {
    warning: null,
    critical: null,
    bmcAlarmTs: null,
    migrationsDone: 0,
    repaired: false,
    stateTs: new Map(),
    async until(what, get, realTimeoutMs) {
      const deadline = Date.now() + realTimeoutMs;
      for (;;) {
        const v = get();
        if (v !== null && v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for the ${what}`);
        await sleep(25);
      }
    },
    stop() {
      for (const s of subs) s.unsubscribe();
    },
  };
  const json = <T>(data: Uint8Array): T | null => {
    try {
      return JSON.parse(new TextDecoder().decode(data)) as T;
    } catch {
      return null;
    }
  };
  const subs = [
    nc.subscribe(subjects.allEvents, {
      callback: (_e, m) => {
        const ev = json<SensorEvent>(m.data);
        if (!ev || ev.host !== sick) return;
        if (ev.severity === "warning" && !w.warning && ev.kind !== "cleared") w.warning = ev;
        if (ev.severity === "critical" && !w.critical) w.critical = ev;
        n.event(ev);
      },
    }),
    nc.subscribe(subjects.allAudit, {
      callback: (_e, m) => {
        const a = json<AuditRecord>(m.data);
        if (!a) return;
        if (a.action === "transition") {
          const to = (a.data as { to?: string } | undefined)?.to;
          if (to && !w.stateTs.has(to)) w.stateTs.set(to, a.ts);
        }
        if (a.action === "migration.done") w.migrationsDone++;
        n.audit(a);
      },
    }),
    nc.subscribe(subjects.readings(sick), {
      callback: (_e, m) => {
        if (w.bmcAlarmTs !== null || w.repaired) return;
        const b = json<ReadingBatch>(m.data);
        const hit = b?.readings.find(bmcFanAlarm);
        if (hit) {
          w.bmcAlarmTs = hit.ts;
          n.bmc(hit, w.critical?.ts ?? null);
        }
      },
    }),
  ];
  return w;
}

/** The BMC's own view: a fan at or below its lower critical threshold. */
function bmcFanAlarm(r: Reading): boolean {
  if (r.type !== "fan") return false;
  if (r.status === "lcr" || r.status === "lnr") return true;
  const lcr = r.thresholds?.lcr;
  return r.value !== null && lcr !== undefined && lcr !== null && r.value <= lcr;
}
