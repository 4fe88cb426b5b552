/**
 * Live migration through libvirt, driven with `virsh`.
 *
 * *Description*: each host is a libvirt connection URI. The engine lists domains with `domstats`, migrates
 * with `virsh migrate --live --persistent --undefinesource` (plus `--bandwidth`, `--auto-converge`,
 * `--migrateuri`), reads progress from `domjobinfo --rawstats` on the source, and aborts with `domjobabort`
 * (on cancel or at the deadline). The `virsh migrate` client runs detached and logs to the state dir, so a
 * restarted controller can pick the migration up again; the outcome is decided by where the domain runs
 * afterwards, never by an exit code alone.
 * *Requirements*: `virsh`, libvirtd on every host (reachable by URI from the controller).
 * *Limitations*: one `virsh` process per call (fine for tens of hosts, not thousands); progress needs a
 * libvirt that supports `domjobinfo --rawstats` (6.0+).
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ErrorCode, type Logger, OpsError, silentLogger } from "@presage/shared";
import type {
  EngineHost,
  EngineVm,
  MigrateOptions,
  MigrationEngine,
  MigrationHandle,
  MigrationPhase,
  MigrationProgress,
} from "../engine.js";
import { assertSource } from "../engine.js";
import { activeFromRecords, assertNewMigration, RecordStore, type TimedRecord } from "../records.js";
import { isTerminal, MigrationTracker, type ProgressListener } from "../tracker.js";
import {
  type DomStat,
  type LibvirtHostSpec,
  OWNER,
  PAUSED,
  parseColonLines,
  parseDomstats,
  RUNNING,
  VirshError,
} from "./parse.js";

const execFileP = promisify(execFile);
const MiB = 1024 * 1024;

export type LibvirtEngineOptions = {
  hosts: LibvirtHostSpec[];
  /** migration records and virsh logs */
  stateDir: string;
  virsh?: string;
  /** default bandwidth, bytes/s (passed to virsh in MiB/s). Default 1.25e9 */
  bandwidthBps?: number;
  /** set with migrate-setmaxdowntime once the job runs. Default 300 */
  downtimeLimitMs?: number;
  autoConverge?: boolean;
  deadlineMs?: number | null;
  /** domjobinfo interval. Default 500 */
  pollMs?: number;
  /** per virsh call (not the migration). Default 30_000 */
  commandTimeoutMs?: number;
  log?: Logger;
};

type LvRecord = TimedRecord & {
  /** the detached `virsh migrate` process */
  pid: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LibvirtEngine implements MigrationEngine {
  readonly kind = "libvirt";
  #hosts = new Map<string, LibvirtHostSpec>();
  #records: RecordStore<LvRecord>;
  #trackers = new Map<string, MigrationTracker>();
  #abort = new Map<string, "user" | "detach" | string>();
  #o: Required<Omit<LibvirtEngineOptions, "hosts" | "stateDir" | "log" | "deadlineMs">> & {
    deadlineMs: number | null;
  };
  #log: Logger;

  constructor(o: LibvirtEngineOptions) {
    for (const h of o.hosts) this.#hosts.set(h.name, h);
    this.#records = new RecordStore(join(o.stateDir, "migrations"));
    this.#log = o.log ?? silentLogger;
    this.#o = {
      virsh: o.virsh ?? "virsh",
      bandwidthBps: o.bandwidthBps ?? 1.25e9,
      downtimeLimitMs: o.downtimeLimitMs ?? 300,
      autoConverge: o.autoConverge ?? false,
      deadlineMs: o.deadlineMs ?? null,
      pollMs: o.pollMs ?? 500,
      commandTimeoutMs: o.commandTimeoutMs ?? 30_000,
    };
  }

  async #virsh(host: LibvirtHostSpec, args: string[]): Promise<string> {
    try {
      const r = await execFileP(this.#o.virsh, ["-c", host.uri, ...args], {
        signal: AbortSignal.timeout(this.#o.commandTimeoutMs),
        killSignal: "SIGKILL",
        maxBuffer: 16 * MiB,
      });
      return r.stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new VirshError(`virsh ${args[0]} on ${host.name}: ${(err.stderr || err.message).trim()}`);
    }
  }

  #host(name: string): LibvirtHostSpec {
    const h = this.#hosts.get(name);
    if (!h) throw new OpsError(ErrorCode.UnknownHost, `unknown host ${name}`);
    return h;
  }

  async #domains(h: LibvirtHostSpec): Promise<DomStat[]> {
    return parseDomstats(await this.#virsh(h, ["domstats", "--raw", "--state", "--balloon", "--vcpu"]));
  }

  async listHosts(): Promise<EngineHost[]> {
    const out: EngineHost[] = [];
    for (const h of this.#hosts.values()) {
      let info: Map<string, string> | null = null;
      try {
        info = parseColonLines(await this.#virsh(h, ["nodeinfo"]));
      } catch (e) {
        this.#log.warn({ host: h.name, err: e }, "libvirt host unreachable");
      }
      const kib = Number.parseInt(info?.get("Memory size") ?? "0", 10);
      out.push({
        name: h.name,
        cpuCapacity: h.cpuCapacity ?? Number.parseInt(info?.get("CPU(s)") ?? "0", 10),
        memoryMiB: h.memoryMiB ?? Math.round(kib / 1024),
        up: info !== null,
        ...(h.rack ? { rack: h.rack } : {}),
      });
    }
    return out;
  }

  async listVms(): Promise<EngineVm[]> {
    const byId = new Map<string, EngineVm>();
    for (const h of this.#hosts.values()) {
      let doms: DomStat[];
      try {
        doms = await this.#domains(h);
      } catch {
        continue; // an unreachable host's VMs are unknown, not absent elsewhere
      }
      for (const d of doms) {
        const prev = byId.get(d.name);
        if (prev?.running || (prev && !OWNER.has(d.state))) continue;
        byId.set(d.name, {
          id: d.name,
          host: h.name,
          memoryMiB: d.memoryMiB,
          vcpus: d.vcpus,
          running: RUNNING.has(d.state),
        });
      }
    }
    return [...byId.values()];
  }

  async locate(vmId: string): Promise<string | null> {
    return (await this.#owner(vmId))?.host ?? null;
  }

  async #owner(vmId: string): Promise<{ host: string; state: number } | null> {
    for (const h of this.#hosts.values()) {
      const d = (await this.#domains(h).catch(() => [] as DomStat[])).find((x) => x.name === vmId);
      if (d && OWNER.has(d.state)) return { host: h.name, state: d.state };
    }
    return null;
  }

  async activeMigrations(): Promise<MigrationProgress[]> {
    // a migration left by a previous controller is picked up here and driven to its end
    return activeFromRecords(this.#records, this.#trackers, (r) => this.#follow(r));
  }

  async migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle> {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(opts.migrationId))
      throw new OpsError(ErrorCode.BadRequest, `invalid migration id ${JSON.stringify(opts.migrationId)}`);
    const to = this.#host(toHost);
    const owner = await this.#owner(vmId);
    if (!owner) throw new OpsError(ErrorCode.BadRequest, `VM ${vmId} is not running on any known host`);
    if (owner.host === toHost) throw new OpsError(ErrorCode.BadRequest, `VM ${vmId} already runs on ${toHost}`);
    assertSource(vmId, owner.host, opts.from);
    assertNewMigration(this.#records, this.#trackers, opts.migrationId, vmId);
    const from = this.#host(owner.host);

    const bandwidthMiBps = Math.max(1, Math.round((opts.bandwidthBps ?? this.#o.bandwidthBps) / MiB));
    const args = ["-c", from.uri, "migrate", "--live", "--persistent", "--undefinesource", "--verbose"];
    if (this.#o.autoConverge) args.push("--auto-converge");
    args.push("--bandwidth", String(bandwidthMiBps), vmId, to.uri);
    if (to.migrateUri) args.push("--migrateuri", to.migrateUri);
    const logPath = this.#records.path(opts.migrationId, "log");
    const fd = openSync(logPath, "a");
    let pid: number;
    try {
      const child = spawn(this.#o.virsh, args, { detached: true, stdio: ["ignore", fd, fd] });
      child.on("error", () => {});
      child.unref();
      pid = child.pid ?? -1;
    } finally {
      closeSync(fd);
    }
    const deadlineMs = opts.deadlineMs ?? this.#o.deadlineMs;
    const r: LvRecord = {
      migrationId: opts.migrationId,
      vm: vmId,
      from: from.name,
      to: to.name,
      phase: "setup",
      startedAt: Date.now(),
      deadlineAt: deadlineMs !== null ? Date.now() + deadlineMs : null,
      downtimeLimitMs: opts.downtimeLimitMs ?? this.#o.downtimeLimitMs,
      pid,
    };
    this.#records.save(r);
    this.#log.info({ migrationId: r.migrationId, vm: vmId, from: r.from, to: r.to }, "virsh migrate started");
    return this.#follow(r).handle(opts.onProgress);
  }

  async attach(migrationId: string, onProgress?: ProgressListener): Promise<MigrationHandle | null> {
    const live = this.#trackers.get(migrationId);
    if (live) return live.finished ? null : live.handle(onProgress);
    const r = this.#records.load(migrationId);
    if (!r || isTerminal(r.phase)) return null;
    return this.#follow(r).handle(onProgress);
  }

  async close(): Promise<void> {
    // virsh and libvirt carry on; a new engine on the same stateDir follows them again
    for (const id of this.#trackers.keys()) this.#abort.set(id, "detach");
  }

  /** Track a record's migration until its virsh client exits, then decide the outcome from where the VM runs. */
  #follow(r: LvRecord): MigrationTracker {
    const t = new MigrationTracker(
      {
        migrationId: r.migrationId,
        vm: r.vm,
        from: r.from,
        to: r.to,
        phase: r.phase,
        transferredBytes: 0,
        remainingBytes: 0,
        totalBytes: 0,
      },
      async () => {
        if (!this.#abort.has(r.migrationId)) this.#abort.set(r.migrationId, "user");
      },
    );
    this.#trackers.set(r.migrationId, t);
    void this.#watch(r, t).catch((e) => {
      this.#log.error({ err: e, migrationId: r.migrationId }, "libvirt migration watcher failed");
      this.#end(r, t, "failed", `engine error: ${(e as Error).message}`);
    });
    return t;
  }

  async #watch(r: LvRecord, t: MigrationTracker): Promise<void> {
    const from = this.#host(r.from);
    let aborted = false;
    let downtimeSet = false;
    let giveUp: string | null = null;
    while (pidAlive(r.pid)) {
      const reason = this.#abort.get(r.migrationId);
      if (reason === "detach") return;
      if (!giveUp && r.deadlineAt !== null && Date.now() >= r.deadlineAt)
        giveUp = `not converged within the deadline (${r.deadlineAt - r.startedAt} ms); VM stays on ${r.from}`;
      if ((reason || giveUp) && !aborted) {
        aborted = true;
        await this.#virsh(from, ["domjobabort", r.vm]).catch((e) => this.#log.warn({ err: e }, "domjobabort failed"));
      }
      const job = parseColonLines(await this.#virsh(from, ["domjobinfo", r.vm, "--rawstats"]).catch(() => ""));
      const num = (k: string) => Number(job.get(k) ?? Number.NaN);
      if (Number.isFinite(num("data_total"))) {
        if (!downtimeSet) {
          downtimeSet = true;
          await this.#virsh(from, ["migrate-setmaxdowntime", r.vm, String(r.downtimeLimitMs)]).catch(() => {});
        }
        if (r.phase !== "active") {
          r.phase = "active";
          this.#records.save(r);
        }
        const p: MigrationProgress = {
          ...t.last,
          phase: "active",
          transferredBytes: num("data_processed") || 0,
          remainingBytes: num("data_remaining") || 0,
          totalBytes: num("data_total") || 0,
        };
        const dirty = num("memory_dirty_rate") * (num("memory_page_size") || 4096);
        if (Number.isFinite(dirty)) p.dirtyRateBps = dirty;
        if (Number.isFinite(num("downtime"))) p.expectedDowntimeMs = num("downtime");
        if (Number.isFinite(num("memory_iteration"))) p.round = num("memory_iteration");
        t.update(p);
      }
      await sleep(this.#o.pollMs);
    }
    // virsh has exited: the truth is where the domain runs now
    const owner = await this.#owner(r.vm);
    if (owner?.host === r.to) return this.#end(r, t, "completed", undefined, { remainingBytes: 0 });
    if (owner?.host === r.from && owner.state === PAUSED) await this.#virsh(from, ["resume", r.vm]).catch(() => {}); // a failed switch-over can leave it paused
    const why = giveUp ?? this.#logTail(r);
    if (this.#abort.get(r.migrationId) === "user" && !giveUp) return this.#end(r, t, "cancelled", undefined);
    this.#end(r, t, "failed", owner ? why : `${why}; VM ${r.vm} is not running anywhere`);
  }

  #logTail(r: LvRecord): string {
    try {
      const lines = readFileSync(this.#records.path(r.migrationId, "log"), "utf8")
        .split(/[\r\n]+/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("Migration: ["));
      return lines.at(-1) ?? "virsh migrate failed";
    } catch {
      return "virsh migrate failed";
    }
  }

  #end(
    r: LvRecord,
    t: MigrationTracker,
    phase: MigrationPhase,
    error?: string,
    extra?: Partial<MigrationProgress>,
  ): void {
    r.phase = phase;
    if (error) r.error = error;
    this.#records.save(r);
    this.#abort.delete(r.migrationId);
    const p: MigrationProgress = { ...t.last, ...extra, phase };
    if (error) p.error = error;
    t.update(p);
  }
}

function pidAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
