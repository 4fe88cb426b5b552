/**
 * Real live migration: each VM is a `qemu-system-x86_64` process on a host (qemu-host.ts), driven over QMP.
 *
 * *Description*: migrate = start the target with the same devices and `-incoming defer`, `migrate-incoming`
 * on the target's address (port 0: QEMU picks one), `migrate-set-parameters` (max-bandwidth, downtime-limit)
 * and optionally the `auto-converge` capability on the source, `migrate`, then poll `query-migrate`. On
 * success the target runs and the source quits; on any failure the target is killed and the VM keeps (or is
 * resumed) running on the source. The engine gives up, cancelling, on the caller's deadline, on a setup that
 * never connects (unreachable target) and on a stream that stops moving (network cut).
 * *Requirements*: qemu-system-x86_64; root for namespace hosts. State (VM specs, migration records, sockets,
 * pidfiles) lives in `stateDir`, so a restarted controller finds running VMs and migrations again.
 * *Limitations*: no shared-storage or block migration (test guests have no disk). Hosts on other machines
 * go through their helper (host-client.ts), which must use the same QEMU binary and accelerator.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, type Logger, OpsError, silentLogger, sleep } from "@presage/shared";
import { QEMU_ENGINE_DEFAULTS as D, realEngineOptions } from "../defaults.js";
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
import { activeFromRecords, assertNewMigration, RecordStore, writeJsonFile } from "../records.js";
import { isTerminal, MigrationTracker, type ProgressListener } from "../tracker.js";
import { LocalQemuHost, type QemuHostOps, type QemuVmSpec, type Qmp, readVmSpec, vmIdError } from "./host.js";
import { QmpError } from "./qmp-client.js";
import {
  OWNER_STATES,
  progressFromQuery,
  type QemuEngineOptions,
  type QueryMigrate,
  type QemuRecord as Record_,
  resumeSource,
  whereRuns,
} from "./state.js";

export type { QemuEngineOptions } from "./state.js";

export class QemuEngine implements MigrationEngine {
  readonly kind = "qemu";
  readonly stateDir: string;
  #hosts = new Map<string, QemuHostOps>();
  #records: RecordStore<Record_>;
  #trackers = new Map<string, MigrationTracker>();
  #cancelRequested = new Map<string, "user" | string>();
  #o: Required<Omit<QemuEngineOptions, "log" | "hosts" | "stateDir" | "deadlineMs" | "helperHost">> & {
    deadlineMs: number | null;
  };
  #log: Logger;

  constructor(o: QemuEngineOptions) {
    this.stateDir = o.stateDir;
    this.#log = o.log ?? silentLogger;
    this.#o = {
      qemuBin: o.qemuBin ?? D.qemuBin,
      accel: o.accel ?? D.accel,
      ...realEngineOptions(o),
      setupTimeoutMs: o.setupTimeoutMs ?? D.setupTimeoutMs,
      stallTimeoutMs: o.stallTimeoutMs ?? D.stallTimeoutMs,
      pollMs: o.pollMs ?? D.pollMs,
    };
    mkdirSync(join(o.stateDir, "vms"), { recursive: true });
    this.#records = new RecordStore(join(o.stateDir, "migrations"));
    const rt = { qemuBin: this.#o.qemuBin, accel: this.#o.accel };
    for (const h of o.hosts) {
      if (h.helper && !o.helperHost)
        throw new Error(`host ${h.name} needs a helper, but no helperHost factory was given`);
      this.#hosts.set(h.name, h.helper && o.helperHost ? o.helperHost(h) : new LocalQemuHost(h, o.stateDir, rt));
    }
  }

  // ---- VM lifecycle (used by tests, the demo and operators; the controller only migrates) ----

  /** Define and boot a VM on a host. */
  async startVm(spec: QemuVmSpec, hostName: string): Promise<void> {
    const bad = vmIdError(spec.id);
    if (bad) throw new OpsError(ErrorCode.BadRequest, bad);
    const host = this.#host(hostName);
    if (await this.locate(spec.id)) throw new OpsError(ErrorCode.Conflict, `VM ${spec.id} is already running`);
    writeJsonFile(join(this.stateDir, "vms", `${spec.id}.json`), spec);
    await host.start(spec, false, this.#o.setupTimeoutMs);
  }

  /** Stop a VM wherever it runs and forget its definition. */
  async stopVm(vmId: string): Promise<void> {
    for (const h of this.#hosts.values()) await h.stop(vmId);
    rmSync(join(this.stateDir, "vms", `${vmId}.json`), { force: true });
  }

  /** Kill every QEMU this engine's state dir knows about (test cleanup). */
  async killAll(): Promise<void> {
    for (const h of this.#hosts.values()) for (const id of await h.vmIds()) await h.stop(id);
  }

  /** The pid of the QEMU process that runs (or receives) this VM on a host; for failure injection in tests. */
  pidOf(vmId: string, hostName: string): Promise<number | null> {
    return this.#host(hostName).pid(vmId);
  }

  // ---- MigrationEngine ----

  async listHosts(): Promise<EngineHost[]> {
    const out: EngineHost[] = [];
    for (const h of this.#hosts.values()) {
      out.push({
        name: h.spec.name,
        cpuCapacity: h.spec.cpuCapacity,
        memoryMiB: h.spec.memoryMiB,
        up: await h.isUp().catch(() => false),
        ...(h.spec.rack ? { rack: h.spec.rack } : {}),
      });
    }
    return out;
  }

  async listVms(): Promise<EngineVm[]> {
    const out: EngineVm[] = [];
    for (const file of readdirSync(join(this.stateDir, "vms"))) {
      if (!file.endsWith(".json")) continue;
      const spec = this.#spec(file.slice(0, -".json".length));
      if (!spec) continue;
      const where = await whereRuns(this.#hosts.values(), spec.id);
      if (!where) continue;
      out.push({
        id: spec.id,
        host: where.host,
        memoryMiB: spec.memoryMiB,
        vcpus: spec.vcpus,
        running: where.status === "running",
      });
    }
    return out;
  }

  async locate(vmId: string): Promise<string | null> {
    return (await whereRuns(this.#hosts.values(), vmId))?.host ?? null;
  }

  async activeMigrations(): Promise<MigrationProgress[]> {
    // a migration left by a previous controller is picked up here and driven to its end
    return activeFromRecords(this.#records, this.#trackers, (r) => this.#resume(r));
  }

  async migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle> {
    const bad = vmIdError(opts.migrationId);
    if (bad) throw new OpsError(ErrorCode.BadRequest, bad.replace("VM id", "migration id"));
    const to = this.#host(toHost);
    const spec = this.#spec(vmId);
    if (!spec) throw new OpsError(ErrorCode.BadRequest, `unknown VM ${vmId}`);
    const where = await whereRuns(this.#hosts.values(), vmId);
    if (!where) throw new OpsError(ErrorCode.Conflict, `VM ${vmId} is not running anywhere`);
    if (where.host === toHost) throw new OpsError(ErrorCode.BadRequest, `VM ${vmId} already runs on ${toHost}`);
    assertSource(vmId, where.host, opts.from);
    assertNewMigration(this.#records, this.#trackers, opts.migrationId, vmId);

    const deadlineMs = opts.deadlineMs ?? this.#o.deadlineMs;
    const r: Record_ = {
      migrationId: opts.migrationId,
      vm: vmId,
      from: where.host,
      to: to.spec.name,
      phase: "setup",
      startedAt: Date.now(),
      deadlineAt: deadlineMs !== null ? Date.now() + deadlineMs : null,
      bandwidthBps: opts.bandwidthBps ?? this.#o.bandwidthBps,
      downtimeLimitMs: opts.downtimeLimitMs ?? this.#o.downtimeLimitMs,
    };
    this.#save(r);
    const t = this.#newTracker(r, spec);
    const handle = t.handle(opts.onProgress);
    this.#drive(r, spec, t, false);
    return handle;
  }

  async attach(migrationId: string, onProgress?: ProgressListener): Promise<MigrationHandle | null> {
    const live = this.#trackers.get(migrationId);
    if (live) return live.finished ? null : live.handle(onProgress);
    const r = this.#records.load(migrationId);
    if (!r || isTerminal(r.phase)) return null;
    const t = this.#resume(r);
    return t.finished ? null : t.handle(onProgress);
  }

  async close(): Promise<void> {
    // migrations keep running in QEMU; a new engine on the same stateDir re-attaches to them
    for (const id of this.#trackers.keys()) this.#cancelRequested.set(id, "detach");
    for (const h of this.#hosts.values()) h.close();
  }

  // ---- migration driver ----

  #newTracker(r: Record_, spec: QemuVmSpec): MigrationTracker {
    const total = spec.memoryMiB * 1024 * 1024;
    const t = new MigrationTracker(
      {
        migrationId: r.migrationId,
        vm: r.vm,
        from: r.from,
        to: r.to,
        phase: r.phase,
        transferredBytes: 0,
        remainingBytes: total,
        totalBytes: total,
      },
      async () => {
        if (!this.#cancelRequested.has(r.migrationId)) this.#cancelRequested.set(r.migrationId, "user");
      },
    );
    this.#trackers.set(r.migrationId, t);
    return t;
  }

  #resume(r: Record_): MigrationTracker {
    const spec = this.#spec(r.vm);
    const t = this.#newTracker(r, spec ?? { id: r.vm, memoryMiB: 0, vcpus: 0 });
    if (!spec) this.#end(r, t, "failed", `VM ${r.vm} has no definition any more`);
    else this.#drive(r, spec, t, true);
    return t;
  }

  /** Run a migration in the background; an engine bug fails it instead of leaving `done` pending. */
  #drive(r: Record_, spec: QemuVmSpec, t: MigrationTracker, resumed: boolean): void {
    this.#run(r, spec, t, resumed).catch((e) => {
      this.#log.error({ err: e, migrationId: r.migrationId }, "migration driver failed");
      this.#end(r, t, "failed", `engine error: ${(e as Error).message}`);
    });
  }

  async #run(r: Record_, spec: QemuVmSpec, t: MigrationTracker, resumed: boolean): Promise<void> {
    const log = this.#log.child({ migrationId: r.migrationId, vm: r.vm, from: r.from, to: r.to });
    const from = this.#host(r.from);
    const to = this.#host(r.to);
    let src: Qmp;
    try {
      src = await from.qmp(r.vm);
    } catch {
      return this.#sourceGone(r, t, to, "source QEMU is not reachable");
    }
    try {
      if (!resumed) {
        await to.stop(r.vm); // a leftover target from an earlier failed attempt
        if (!(await to.isUp().catch(() => false))) throw new Error(`target host ${r.to} is unreachable`);
        await to.start(spec, true, this.#o.setupTimeoutMs);
        const dst = await to.qmp(r.vm, this.#o.setupTimeoutMs);
        await dst.execute("migrate-incoming", { uri: `tcp:${to.spec.address}:0` });
        const q = await dst.execute<QueryMigrate>("query-migrate");
        const port = q["socket-address"]?.[0]?.port;
        if (!port) throw new Error("target did not report its migration port");
        await src.execute("migrate-set-capabilities", {
          capabilities: [{ capability: "auto-converge", state: this.#o.autoConverge }],
        });
        await src.execute("migrate-set-parameters", {
          "max-bandwidth": Math.round(r.bandwidthBps),
          "downtime-limit": Math.round(r.downtimeLimitMs),
          // an evacuation is urgent: throttle harder and sooner than QEMU's 20% + 10%/pass
          ...(this.#o.autoConverge ? { "cpu-throttle-initial": 50, "cpu-throttle-increment": 20 } : {}),
        });
        if (this.#cancelRequested.get(r.migrationId) === "detach") return;
        await src.execute("migrate", { uri: `tcp:${to.spec.address}:${port}` });
        log.info({ port }, "migration started");
      }
      await this.#poll(r, t, src, log);
    } catch (e) {
      if (this.#cancelRequested.get(r.migrationId) === "detach") return; // engine closed: leave QEMU alone
      if (e instanceof QmpError && e.qmpClass === "Closed" && src.isClosed)
        return this.#sourceGone(r, t, to, "source QEMU died mid-migration");
      log.warn({ err: e }, "migration failed");
      await to.stop(r.vm).catch((err) => log.warn({ err }, "could not remove the target"));
      await resumeSource(src);
      this.#end(r, t, "failed", (e as Error).message);
    }
  }

  async #poll(r: Record_, t: MigrationTracker, src: Qmp, log: Logger): Promise<void> {
    const to = this.#host(r.to);
    let lastMoved = Date.now();
    let lastBytes = -1;
    let giveUp: string | null = null;
    let cancelSent = false;
    for (;;) {
      const reason = this.#cancelRequested.get(r.migrationId);
      if (reason === "detach") return;
      if ((reason || giveUp) && !cancelSent) {
        cancelSent = true;
        await src.execute("migrate_cancel");
      }
      const q = await src.execute<QueryMigrate>("query-migrate");
      const status = q.status ?? "none";
      const ram = q.ram ?? {};
      const progress = progressFromQuery(r.phase, t.last, q);
      if (status === "completed") return this.#complete(r, t, src, progress, log);
      if (status === "failed" || status === "cancelled" || status === "none") {
        await to.stop(r.vm);
        await resumeSource(src);
        if (status === "cancelled" && reason === "user") return this.#end(r, t, "cancelled", undefined, progress);
        const why =
          giveUp ??
          (status === "failed" ? `QEMU: ${q["error-desc"] ?? "migration failed"}` : "migration was not running");
        return this.#end(r, t, "failed", why, progress);
      }
      const next: MigrationPhase = status === "setup" ? "setup" : "active";
      if (r.phase !== next) {
        r.phase = next;
        this.#save(r);
      }
      t.update({ ...progress, phase: next });
      const now = Date.now();
      if ((ram.transferred ?? 0) !== lastBytes) {
        lastBytes = ram.transferred ?? 0;
        lastMoved = now;
      }
      if (!giveUp && status !== "cancelling") {
        if (r.deadlineAt !== null && now >= r.deadlineAt)
          giveUp = `not converged within the deadline (${r.deadlineAt - r.startedAt} ms); VM stays on ${r.from}`;
        else if (status === "setup" && now - r.startedAt > this.#o.setupTimeoutMs)
          giveUp = `target ${r.to} at ${to.spec.address} is unreachable (no connection in ${this.#o.setupTimeoutMs} ms)`;
        else if (status === "active" && now - lastMoved > this.#o.stallTimeoutMs)
          giveUp = `migration stalled: no data moved for ${this.#o.stallTimeoutMs} ms (network cut?)`;
        if (giveUp) log.warn({ reason: giveUp }, "giving up on migration");
      }
      await sleep(this.#o.pollMs);
    }
  }

  async #complete(r: Record_, t: MigrationTracker, src: Qmp, progress: MigrationProgress, log: Logger): Promise<void> {
    const to = this.#host(r.to);
    try {
      const dst = await to.qmp(r.vm, 5_000);
      // the source reports completed once it has sent everything; the target may still be loading
      let st = await dst.execute<{ status: string }>("query-status");
      for (let i = 0; i < 200 && st.status === "inmigrate"; i++) {
        await sleep(50);
        st = await dst.execute<{ status: string }>("query-status");
      }
      if (st.status === "paused") await dst.execute("cont");
      else if (!OWNER_STATES.has(st.status)) throw new Error(`target is ${st.status} after migration`);
    } catch (e) {
      // the target died at switch-over: the paused source still has the whole VM
      log.warn({ err: e }, "target lost at switch-over; resuming the source");
      await to.stop(r.vm);
      await src.execute("cont").catch(() => {});
      return this.#end(r, t, "failed", `target ${r.to} died at switch-over; VM resumed on ${r.from}`, progress);
    }
    await src.execute("quit").catch(() => {});
    this.#host(r.from).drop(r.vm);
    log.info({ bytes: progress.transferredBytes, ms: Date.now() - r.startedAt }, "migration completed");
    this.#end(r, t, "completed", undefined, { ...progress, remainingBytes: 0 });
  }

  /** The source process vanished: whatever half-copy the target holds is useless, so the VM is gone. */
  async #sourceGone(r: Record_, t: MigrationTracker, to: QemuHostOps, why: string): Promise<void> {
    const where = await whereRuns(this.#hosts.values(), r.vm);
    if (where?.host === r.to) return this.#end(r, t, "completed", undefined);
    await to.stop(r.vm);
    this.#end(r, t, "failed", `${why}; VM ${r.vm} is not running anywhere`);
  }

  #end(r: Record_, t: MigrationTracker, phase: MigrationPhase, error?: string, progress?: MigrationProgress): void {
    r.phase = phase;
    if (error) r.error = error;
    this.#save(r);
    this.#cancelRequested.delete(r.migrationId);
    const p: MigrationProgress = { ...(progress ?? t.last), phase };
    if (error) p.error = error;
    t.update(p);
  }

  // ---- processes and QMP connections ----

  #host(name: string): QemuHostOps {
    const h = this.#hosts.get(name);
    if (!h) throw new OpsError(ErrorCode.UnknownHost, `unknown host ${name}`);
    return h;
  }

  #save(r: Record_): void {
    this.#records.save(r);
  }

  /** A VM's stored definition, or null (logged) when the file is unreadable, malformed or names another VM. */
  #spec(vmId: string): QemuVmSpec | null {
    const path = join(this.stateDir, "vms", `${vmId}.json`);
    const r = readVmSpec(path, vmId);
    if (r === null || !("invalid" in r)) return r;
    this.#log.warn({ path, why: r.invalid }, "VM definition skipped: not a valid VM spec");
    return null;
  }
}
