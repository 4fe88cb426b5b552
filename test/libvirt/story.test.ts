/**
 * The whole story on real parts, as an operator would run it with the libvirt engine: three libvirtd daemons
 * (own namespaces, one bridge), domains the test defines and starts there (Presage only adopts them), one
 * ipmi_sim BMC per host read by a real `presage-agent run` over ipmitool lanplus with the lab detection
 * profile, a real nats-server and `presage-controller run`. FAN1 of lv1's BMC wears; the test asserts the
 * warning, the critical, every domain leaving by live migration, ack, repaired (refused while the agent sees
 * critical), every domain home, the audit story, and that no domain ever ran on two hosts. It prints each
 * phase's duration and each migration's (figures only; nothing is asserted on time).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  connectNats,
  type HostSummary,
  type MigrationRecord,
  type NatsConnection,
  type SensorEvent,
  subjects,
} from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditTrail } from "../../controller/src/audit.js";
import { presage } from "../cli/run-cli.js";
import { poll } from "../e2e/harness.js";
import { FAN, type SimBmc, startSimBmc, TEMP, UNIT } from "../ipmi/ipmi-sim.mjs";
import { libvirtUnavailable } from "./daemons.js";
import { type LibvirtFleet, startLibvirtFleet } from "./fleet.js";

const execFileP = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
const AGENT = join(ROOT, "agent/dist/bin/presage-agent.js");
const CONTROLLER = join(ROOT, "controller/dist/bin/presage-controller.js");
const HOSTS = ["lv1", "lv2", "lv3"];
const SICK = "lv1";
/** lv1 runs two domains, the others one each */
const DOMAINS: Record<string, string[]> = { lv1: ["pzs-a", "pzs-b"], lv2: ["pzs-c"], lv3: ["pzs-d"] };
const FAN_OK = 120; // raw x 50 = 6000 RPM
const skip =
  libvirtUnavailable() ??
  (spawnable("ipmi_sim") ? null : "ipmi_sim is not installed (openipmi)") ??
  (spawnable("ipmitool") ? null : "ipmitool is not installed");

function spawnable(bin: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const domainXml = (name: string, type: "kvm" | "qemu") =>
  `<domain type='${type}'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>`;

describe.skipIf(skip)("libvirt story - fan wear to evacuation to repair to home, all real parts", () => {
  let fleet: LibvirtFleet;
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  const bmcs = new Map<string, SimBmc>();
  const procs: ChildProcess[] = [];
  const logs = new Map<string, string>();
  let domainType: "kvm" | "qemu" = "qemu";

  // async: a virsh call on a loaded machine can take a while, and must not block the worker's event loop
  const virsh = async (host: string, ...args: string[]) => {
    const h = fleet.hosts.find((x) => x.name === host);
    if (!h) throw new Error(`no host ${host}`);
    return (await execFileP("virsh", ["-c", h.uri, ...args], { encoding: "utf8", timeout: 180_000 })).stdout;
  };
  const running = async (host: string): Promise<string[]> => {
    const h = fleet.hosts.find((x) => x.name === host);
    if (!h) return [];
    const r = await execFileP("virsh", ["-c", h.uri, "list", "--state-running", "--name"], { timeout: 30_000 });
    return r.stdout.split("\n").filter(Boolean);
  };
  const where = async (): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    const lists = await Promise.all(HOSTS.map((h) => running(h).catch(() => [] as string[])));
    HOSTS.forEach((h, i) => {
      for (const d of lists[i] ?? []) out.set(d, [...(out.get(d) ?? []), h]);
    });
    return out;
  };
  const start = (name: string, args: string[]) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env } });
    logs.set(name, "");
    p.stderr?.on("data", (d) => logs.set(name, `${(logs.get(name) ?? "").slice(-200_000)}${d}`));
    procs.push(p);
    return p;
  };
  const cli = (args: string[]) => presage(args, { NATS_URL: ns.url }, 60_000);
  const hostsJson = async (): Promise<HostSummary[]> => {
    const r = await cli(["hosts", "--json"]);
    if (r.code !== 0) throw new Error(r.stderr);
    const v = JSON.parse(r.stdout);
    return (Array.isArray(v) ? v : v.hosts) as HostSummary[];
  };
  const stateOf = async (h: string) => (await hostsJson()).find((x) => x.host === h)?.state;

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/pzstory");
    chmodSync(dir, 0o755);
    fleet = await startLibvirtFleet(HOSTS);
    // KVM where the machine has it, TCG otherwise (never required)
    if (existsSync("/dev/kvm")) {
      try {
        writeFileSync(join(dir, "probe.xml"), domainXml("pzs-probe", "kvm"));
        await virsh("lv2", "create", join(dir, "probe.xml"));
        await virsh("lv2", "destroy", "pzs-probe");
        domainType = "kvm";
      } catch {
        domainType = "qemu";
      }
    }
    for (const [host, doms] of Object.entries(DOMAINS))
      for (const d of doms) {
        const xml = join(dir, `${d}.xml`);
        writeFileSync(xml, domainXml(d, domainType));
        await virsh(host, "define", xml);
        await virsh(host, "start", d);
      }
    ns = await startNatsServer();
    nc = await connectNats({ url: ns.url });
    const fan = (num: number, name: string) => ({
      num,
      name,
      type: FAN,
      unit: UNIT.RPM,
      m: 50,
      rexp: 0,
      raw: FAN_OK,
      th: { lnr: 10, lc: 20, lnc: 30 },
    });
    const sensors = [
      fan(1, "FAN1"),
      fan(2, "FAN2"),
      fan(3, "FAN3"),
      fan(4, "FAN4"),
      { num: 5, name: "CPU1 Temp", type: TEMP, unit: UNIT.C, m: 1, rexp: 0, raw: 45, th: { unc: 80, uc: 90, unr: 95 } },
    ];
    const pw = join(dir, "bmc.pass");
    writeFileSync(pw, "password", { mode: 0o600 });
    for (const h of HOSTS) {
      const bmc = await startSimBmc(sensors, `bmc-${h}`);
      bmcs.set(h, bmc);
      const cfg = join(dir, `agent-${h}.json`);
      writeFileSync(
        cfg,
        JSON.stringify({
          host: h,
          nats: { url: ns.url },
          pollIntervalMs: 2_000,
          heartbeatIntervalMs: 2_000,
          detect: { profile: "lab" },
          sources: [
            {
              kind: "ipmitool",
              interface: "lanplus",
              address: "127.0.0.1",
              port: bmc.port,
              user: "admin",
              passwordFile: pw,
              command: "sensor",
              timeoutMs: 10_000,
            },
          ],
        }),
      );
      start(`agent-${h}`, [AGENT, "run", "--config", cfg]);
    }
    const ctlCfg = join(dir, "controller.json");
    writeFileSync(
      ctlCfg,
      JSON.stringify({
        nats: { url: ns.url },
        name: "ctl-story",
        engine: {
          kind: "libvirt",
          libvirt: {
            stateDir: join(dir, "state"),
            hosts: fleet.hosts.map((h) => ({ name: h.name, uri: h.uri, migrateUri: h.migrateUri })),
          },
        },
        returns: { gracePeriodMs: 15_000, waveSize: 2 },
        heartbeat: { lostAfterMs: 60_000 },
        reconcile: { intervalMs: 1_000 },
      }),
    );
    const check = await execFileP(process.execPath, [CONTROLLER, "check-config", "--config", ctlCfg]);
    expect(check.stdout, "check-config").toMatch(/^config ok: engine libvirt \(3 hosts/);
    start("controller", [CONTROLLER, "run", "--config", ctlCfg]);
  }, 300_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await Promise.all(
      procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once("exit", r)) : Promise.resolve())),
    );
    await nc?.close().catch(() => {});
    await ns?.stop();
    await Promise.all([...bmcs.values()].map((b) => b.stop()));
    fleet?.stop(); // kills the namespaced daemons and their QEMUs
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("warns, evacuates live, refuses a premature repair, returns every domain, never runs one twice", async () => {
    const t: Record<string, number> = {};
    const events: SensorEvent[] = [];
    const sub = nc.subscribe(subjects.allEvents, { callback: (_e, m) => events.push(m.json()) });
    // no domain runs on two hosts: sample every host's running domains until the end
    const doubles: string[] = [];
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        for (const [d, hs] of await where()) if (hs.length > 1) doubles.push(`${d} on ${hs.join("+")}`);
        samples++;
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const failMsg = () => [...logs].map(([k, v]) => `--- ${k}\n${v.slice(-3_000)}`).join("\n");
    try {
      // the controller adopts the domains it finds, on their hosts
      await poll(
        "controller sees 3 healthy hosts with their domains",
        async () => {
          const hs = await hostsJson();
          return hs.length === 3 && hs.every((h) => h.state === "healthy" && h.vmCount === DOMAINS[h.host]?.length);
        },
        180_000,
        2_000,
      ).catch((e) => {
        throw new Error(`${e}\n${failMsg()}`);
      });
      // learning: the lab profile learns a baseline in 6 x 10 s buckets; wear starts once it has one
      await new Promise((r) => setTimeout(r, 75_000));
      const bmc = bmcs.get(SICK) as SimBmc;
      t.wearStart = Date.now();
      let raw = FAN_OK;
      let wearing = true;
      const wear = (async () => {
        // 50 RPM every 5 s (600 RPM a minute), down to 2000 RPM at most (its lower-critical is 1000)
        while (wearing && raw > 40) {
          await new Promise((r) => setTimeout(r, 5_000));
          if (!wearing) break;
          bmc.setRaw(1, --raw);
        }
      })();
      const fanEvent = (sev: string) =>
        events.find((e) => e.host === SICK && e.severity === sev && e.component === "fan" && e.sensor === "FAN1");
      const warning = await poll("warning", () => fanEvent("warning"), 600_000, 500);
      t.warning = Date.now();
      const critical = await poll("critical", () => fanEvent("critical"), 600_000, 500);
      t.critical = Date.now();
      wearing = false;
      await wear;
      expect(warning.kind).toBe("degradation");
      expect(critical.predictedFailureAt).not.toBeNull();
      expect(events.filter((e) => e.host !== SICK && e.severity !== "info")).toEqual([]);

      // every domain leaves lv1 by live migration; lv1 ends quarantined
      await poll("lv1 quarantined", async () => (await stateOf(SICK)) === "quarantined", 600_000, 1_000);
      t.quarantined = Date.now();
      const away = await where();
      for (const d of DOMAINS[SICK] ?? []) expect(away.get(d)?.[0], `${d} left lv1`).not.toBe(SICK);
      expect(await running(SICK)).toEqual([]);
      const migs = async () =>
        JSON.parse((await cli(["migrations", "--json"])).stdout) as
          | MigrationRecord[]
          | { migrations: MigrationRecord[] };
      const list = async () => {
        const v = await migs();
        return Array.isArray(v) ? v : v.migrations;
      };
      const evac = (await list()).filter((m) => m.from === SICK);
      expect(evac.map((m) => [m.vm, m.status]).sort()).toEqual((DOMAINS[SICK] ?? []).map((d) => [d, "completed"]));
      // virsh migrate --live --verbose logged its progress to 100 % for each
      const logDir = join(dir, "state", "migrations");
      const virshLogs = readdirSync(logDir).filter((f) => f.endsWith(".log"));
      expect(virshLogs.length).toBeGreaterThanOrEqual(2);
      for (const f of virshLogs) expect(readFileSync(join(logDir, f), "utf8")).toMatch(/Migration: \[100 %\]/);
      for (const m of evac) {
        const info = await virsh(m.to, "domjobinfo", "--completed", m.vm);
        expect(info).toMatch(/Operation:\s+Incoming migration/);
      }

      // ack, then a repair the agent contradicts is refused and says what it still sees
      const ack = await cli(["ack", SICK, "--note", "fan ordered"]);
      expect(ack.code, ack.stderr).toBe(0);
      t.acked = Date.now();
      const early = await cli(["repaired", SICK]);
      expect(early.code).not.toBe(0);
      expect(early.stderr).toMatch(/lv1's agent still reports critical \(.*FAN1.*\).*--force/);
      expect(await stateOf(SICK)).toBe("quarantined");

      // the fan is replaced: the agent clears it, repaired is accepted, hosts says why it waits
      bmc.setRaw(1, FAN_OK);
      t.fanReplaced = Date.now();
      await poll(
        "repaired accepted",
        async () => (await cli(["repaired", SICK, "--note", "FAN1 replaced"])).code === 0,
        300_000,
        3_000,
      );
      t.repaired = Date.now();
      const returning = await poll(
        "hosts explains the wait",
        async () => (await hostsJson()).find((h) => h.host === SICK && h.state === "returning" && h.waiting),
        60_000,
        500,
      );
      const table = (await cli(["hosts"])).stdout;
      expect(returning.waiting).toMatch(/grace period|agent|bringing back|home VMs/);
      await poll("lv1 healthy again", async () => (await stateOf(SICK)) === "healthy", 600_000, 1_000);
      t.home = Date.now();
      const end = await where();
      for (const [host, doms] of Object.entries(DOMAINS)) for (const d of doms) expect(end.get(d), d).toEqual([host]);
      const back = (await list()).filter((m) => m.to === SICK);
      expect(back.map((m) => [m.vm, m.status]).sort()).toEqual((DOMAINS[SICK] ?? []).map((d) => [d, "completed"]));

      // the audit stream tells the story
      const audit = await readAuditTrail(nc);
      const story = audit.filter((r) => r.host === SICK && r.action === "transition").map((r) => r.data?.to);
      expect(story).toEqual(["suspect", "degraded", "evacuating", "quarantined", "returning", "healthy"]);
      expect(audit.some((r) => r.host === SICK && r.action === "ack")).toBe(true);

      sampling = false;
      await sampler;
      expect(samples).toBeGreaterThan(10);
      expect(doubles).toEqual([]);

      const s = (a: number | undefined, b: number | undefined) => (a && b ? Math.round((b - a) / 100) / 10 : null);
      const migrationSeconds = [...evac, ...back].map((m) => ({
        vm: m.vm,
        from: m.from,
        to: m.to,
        seconds: m.startedAt && m.finishedAt ? Math.round((m.finishedAt - m.startedAt) / 100) / 10 : null,
      }));
      const figures = {
        domainType,
        wearToWarningS: s(t.wearStart, t.warning),
        warningToCriticalS: s(t.warning, t.critical),
        criticalToQuarantinedS: s(t.critical, t.quarantined),
        fanReplacedToRepairAcceptedS: s(t.fanReplaced, t.repaired),
        repairedToHomeS: s(t.repaired, t.home),
        migrations: migrationSeconds,
        samples,
      };
      console.log(`libvirt story figures: ${JSON.stringify(figures)}\nhosts while returning:\n${table}`);
    } finally {
      sampling = false;
      await sampler.catch(() => {});
      sub.unsubscribe();
    }
  }, 1_800_000);
});
