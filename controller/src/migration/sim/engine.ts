/**
 * Pre-copy live-migration simulator for fleets of thousands of hosts.
 *
 * *Description*: each VM has memory and a dirty rate; each host NIC has a bandwidth that concurrent migrations
 * through it share (a migration gets the smaller of its source's and target's fair share). A migration copies
 * all memory in round 1, then in each later round the pages dirtied during the previous one, until the remainder
 * fits the downtime limit (stop-and-copy: the VM pauses while the rest is sent) or the round limit is hit (then
 * `force` stop-and-copy with a longer pause, or `fail`). Time advances event by event up to the injected clock's
 * now, so results do not depend on how often the ticker wakes up.
 * *Requirements*: a Clock (`ManualClock` for benchmarks, `scaledClock` for the demo).
 * *Limitations*: bandwidth sharing is per-link fair share, not max-min; dirtying is a fluid rate (pages
 * dirtied twice in one round count twice, capped at the VM's memory); no CPU or disk model.
 */
import { type Clock, ErrorCode, type Logger, OpsError, silentLogger } from "@presage/shared";
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
import { MigrationTracker, type ProgressListener } from "../tracker.js";
import {
  advance,
  applyRule,
  assignRates,
  BYTE_EPS,
  EPS,
  type Host,
  type InjectedFailure,
  MiB,
  matches,
  type NonConvergencePolicy,
  progressOf,
  type Sim,
  type SimEngineOptions,
  type Vm,
} from "./model.js";
import { type Random, seededRandom } from "./random.js";

export type {
  FailureKind,
  InjectedFailure,
  NonConvergencePolicy,
  SimEngineOptions,
  SimFleet,
  SimHostSpec,
  SimVmSpec,
} from "./model.js";

export class SimEngine implements MigrationEngine {
  readonly kind = "sim";
  #clock: Clock;
  #rnd: Random;
  #log: Logger;
  #hosts = new Map<string, Host>();
  #vms = new Map<string, Vm>();
  /** every migration ever started, by id (idempotency and attach) */
  #all = new Map<string, Sim>();
  #active: Sim[] = [];
  #rules: (InjectedFailure & { left: number })[] = [];
  #now: number;
  #ticking = false;
  #closed = false;
  readonly #linkBps: number;
  readonly #downtimeLimitMs: number;
  readonly #maxRounds: number;
  readonly #policy: NonConvergencePolicy;
  readonly #autoConverge: boolean;
  readonly #setupMs: number;
  readonly #tickMs: number;

  constructor(o: SimEngineOptions) {
    this.#clock = o.clock;
    this.#rnd = seededRandom(o.seed ?? 1);
    this.#log = o.log ?? silentLogger;
    this.#linkBps = o.linkBandwidthBps ?? 1.25e9;
    this.#downtimeLimitMs = o.downtimeLimitMs ?? 300;
    this.#maxRounds = o.maxRounds ?? 30;
    this.#policy = o.onNoConvergence ?? "force";
    this.#autoConverge = o.autoConverge ?? false;
    this.#setupMs = o.setupMs ?? 100;
    this.#tickMs = o.tickMs ?? 100;
    this.#now = o.clock.now();
    for (const h of o.hosts) {
      if (this.#hosts.has(h.name)) throw new Error(`duplicate host ${h.name} in fleet`);
      this.#hosts.set(h.name, {
        name: h.name,
        cpuCapacity: h.cpuCapacity,
        memoryMiB: h.memoryMiB,
        rack: h.rack ?? null,
        up: h.up ?? true,
      });
    }
    for (const v of o.vms) {
      if (this.#vms.has(v.id)) throw new Error(`duplicate VM ${v.id} in fleet`);
      if (!this.#hosts.has(v.host)) throw new Error(`VM ${v.id} is on unknown host ${v.host}`);
      this.#vms.set(v.id, {
        id: v.id,
        host: v.host,
        memoryMiB: v.memoryMiB,
        vcpus: v.vcpus,
        cpuDemand: v.cpuDemand,
        dirtyRateMiBps: v.dirtyRateMiBps ?? 0,
        running: v.running ?? true,
      });
    }
  }

  async listHosts(): Promise<EngineHost[]> {
    return [...this.#hosts.values()].map((h) => ({
      name: h.name,
      cpuCapacity: h.cpuCapacity,
      memoryMiB: h.memoryMiB,
      up: h.up,
      ...(h.rack ? { rack: h.rack } : {}),
    }));
  }

  async listVms(): Promise<EngineVm[]> {
    const out: EngineVm[] = [];
    for (const v of this.#vms.values()) {
      const e: EngineVm = { id: v.id, host: v.host, memoryMiB: v.memoryMiB, vcpus: v.vcpus, running: v.running };
      if (v.cpuDemand !== undefined) e.cpuDemand = v.cpuDemand;
      if (v.dirtyRateMiBps) e.dirtyRateMiBps = v.dirtyRateMiBps;
      out.push(e);
    }
    return out;
  }

  async locate(vmId: string): Promise<string | null> {
    this.#catchUp();
    return this.#vms.get(vmId)?.host ?? null;
  }

  async activeMigrations(): Promise<MigrationProgress[]> {
    this.#catchUp();
    return this.#active.map((m) => m.tracker.last);
  }

  /** Final or current progress of any migration this engine ever started (null if unknown). */
  status(migrationId: string): MigrationProgress | null {
    this.#catchUp();
    return this.#all.get(migrationId)?.tracker.last ?? null;
  }

  async migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle> {
    if (this.#closed) throw new OpsError(ErrorCode.Internal, "engine is closed");
    this.#catchUp();
    if (this.#all.has(opts.migrationId))
      throw new OpsError(ErrorCode.Conflict, `migration id ${opts.migrationId} was already used; attach() to it`);
    const vm = this.#vms.get(vmId);
    if (!vm) throw new OpsError(ErrorCode.BadRequest, `unknown VM ${vmId}`);
    const target = this.#hosts.get(toHost);
    if (!target) throw new OpsError(ErrorCode.UnknownHost, `unknown target host ${toHost}`);
    if (vm.host === toHost) throw new OpsError(ErrorCode.BadRequest, `VM ${vmId} already runs on ${toHost}`);
    assertSource(vmId, vm.host, opts.from);
    const busy = this.#active.find((m) => m.vm === vm);
    if (busy) throw new OpsError(ErrorCode.Conflict, `VM ${vmId} is already migrating (${busy.tracker.migrationId})`);

    const totalBytes = vm.memoryMiB * MiB;
    const m: Sim = {
      id: opts.migrationId,
      tracker: undefined as unknown as MigrationTracker,
      vm,
      from: vm.host,
      to: toHost,
      stage: "setup",
      setupLeftMs: this.#setupMs,
      round: 1,
      totalBytes,
      leftBytes: totalBytes,
      dirtyBytes: 0,
      transferredBytes: 0,
      dirtyBps: vm.dirtyRateMiBps * MiB,
      throttlePct: 0,
      capBps: opts.bandwidthBps ?? Number.POSITIVE_INFINITY,
      slowFactor: 1,
      downtimeLimitMs: opts.downtimeLimitMs ?? this.#downtimeLimitMs,
      deadlineMs: opts.deadlineMs ?? null,
      deadlineAt: opts.deadlineMs !== undefined ? this.#now + opts.deadlineMs : null,
      failAtBytes: null,
      failError: "",
      rateBps: 0,
    };
    m.tracker = new MigrationTracker(progressOf(m, "setup"), () => this.#cancel(m));
    const handle = m.tracker.handle(opts.onProgress);
    this.#all.set(opts.migrationId, m);
    this.#log.debug({ migrationId: opts.migrationId, vm: vmId, from: m.from, to: toHost }, "migration started");

    const refusal = this.#refusal(m, target);
    if (refusal) {
      this.#finish(m, "failed", refusal);
      return handle;
    }
    for (const r of this.#rules) if (matches(r, m)) applyRule(r, m);
    this.#rules = this.#rules.filter((r) => r.left > 0);
    this.#active.push(m);
    this.#startTicker();
    return handle;
  }

  async attach(migrationId: string, onProgress?: ProgressListener): Promise<MigrationHandle | null> {
    this.#catchUp();
    const m = this.#all.get(migrationId);
    if (!m || m.tracker.finished) return null;
    return m.tracker.handle(onProgress);
  }

  /** Take a host down (its VMs stop, migrations through it fail) or bring it back (its VMs run again). */
  setHostUp(host: string, up: boolean): void {
    const h = this.#hosts.get(host);
    if (!h) throw new OpsError(ErrorCode.UnknownHost, `unknown host ${host}`);
    this.#catchUp();
    h.up = up;
    for (const v of this.#vms.values()) if (v.host === host) v.running = up;
    if (up) return;
    for (const m of [...this.#active]) {
      if (m.from === host) this.#finish(m, "failed", `source host ${host} went down`);
      else if (m.to === host) this.#finish(m, "failed", `target host ${host} became unreachable`);
    }
  }

  /** Add a failure or slowdown for future (and matching running) migrations. */
  injectFailure(f: InjectedFailure): void {
    this.#catchUp();
    const rule = { ...f, left: f.times ?? (f.kind === "slow" ? Number.POSITIVE_INFINITY : 1) };
    for (const m of this.#active) if (rule.left > 0 && matches(rule, m)) applyRule(rule, m);
    if (rule.left > 0) this.#rules.push(rule);
  }

  clearFailures(): void {
    this.#rules = [];
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const m of [...this.#active]) this.#finish(m, "cancelled", "engine closed");
  }

  // ---- model ----

  #refusal(m: Sim, target: Host): string | null {
    if (!m.vm.running) return `VM ${m.vm.id} is not running on ${m.from}`;
    if (!this.#hosts.get(m.from)?.up) return `source host ${m.from} is down`;
    if (!target.up) return `target host ${target.name} is unreachable`;
    let used = 0;
    for (const v of this.#vms.values()) if (v.host === target.name) used += v.memoryMiB;
    for (const a of this.#active) if (a.to === target.name) used += a.vm.memoryMiB;
    if (used + m.vm.memoryMiB > target.memoryMiB)
      return `target host ${target.name} lacks memory (${used} + ${m.vm.memoryMiB} > ${target.memoryMiB} MiB)`;
    return null;
  }

  #cancel(m: Sim): Promise<void> {
    this.#catchUp();
    // once the VM is paused for stop-and-copy the switch-over cannot be undone (as in QEMU)
    if (!m.tracker.finished && m.stage !== "stopcopy") this.#finish(m, "cancelled", undefined);
    return Promise.resolve();
  }

  #finish(m: Sim, phase: MigrationPhase, error: string | undefined): void {
    this.#active = this.#active.filter((a) => a !== m);
    if (phase === "completed") m.vm.host = m.to;
    const p = progressOf(m, phase);
    if (error) p.error = error;
    this.#log.debug({ migrationId: p.migrationId, vm: m.vm.id, phase, error }, "migration ended");
    m.tracker.update(p);
  }

  /** Clock ms until this migration's next discrete event at its current rate. */
  #nextEventMs(m: Sim): number {
    let dt = Number.POSITIVE_INFINITY;
    if (m.deadlineAt !== null && m.stage !== "stopcopy") dt = Math.max(0, m.deadlineAt - this.#now);
    if (m.stage === "setup") return Math.min(dt, m.setupLeftMs);
    if (m.rateBps <= 0) return dt;
    dt = Math.min(dt, (m.leftBytes / m.rateBps) * 1000);
    if (m.failAtBytes !== null) dt = Math.min(dt, (Math.max(0, m.failAtBytes - m.transferredBytes) / m.rateBps) * 1000);
    return dt;
  }

  /** Advance the model to the clock's now, event by event. */
  #catchUp(): void {
    const target = this.#clock.now();
    if (target <= this.#now) return;
    while (this.#active.length > 0 && this.#now < target) {
      assignRates(this.#active, this.#linkBps);
      let step = target - this.#now;
      for (const m of this.#active) step = Math.min(step, this.#nextEventMs(m));
      for (const m of this.#active) advance(m, step);
      this.#now += step;
      for (const m of [...this.#active]) this.#settle(m);
    }
    this.#now = Math.max(this.#now, target);
    for (const m of this.#active) m.tracker.update(progressOf(m, m.stage === "setup" ? "setup" : "active"));
  }

  /** Handle whatever event this migration reached in the last step. */
  #settle(m: Sim): void {
    if (m.failAtBytes !== null && m.transferredBytes >= m.failAtBytes - BYTE_EPS) {
      this.#finish(m, "failed", m.failError);
      return;
    }
    if (m.deadlineAt !== null && m.stage !== "stopcopy" && this.#now >= m.deadlineAt - EPS) {
      this.#finish(m, "failed", `not converged within the ${m.deadlineMs} ms deadline (round ${m.round})`);
      return;
    }
    if (m.stage === "setup") {
      if (m.setupLeftMs <= EPS) m.stage = "precopy";
      return;
    }
    if (m.leftBytes > BYTE_EPS) return;
    if (m.stage === "stopcopy") {
      this.#finish(m, "completed", undefined);
      return;
    }
    this.#endRound(m);
  }

  #endRound(m: Sim): void {
    const remainder = m.dirtyBytes;
    const rate = Math.max(m.rateBps, EPS);
    const fits = (remainder / rate) * 1000 <= m.downtimeLimitMs;
    if (fits || (m.round >= this.#maxRounds && this.#policy === "force")) {
      m.stage = "stopcopy";
      m.leftBytes = remainder;
      m.dirtyBytes = 0;
      return;
    }
    if (m.round >= this.#maxRounds) {
      this.#finish(
        m,
        "failed",
        `not converged after ${m.round} rounds: dirty rate ${(m.dirtyBps / MiB).toFixed(0)} MiB/s vs bandwidth ${(m.rateBps / MiB).toFixed(0)} MiB/s`,
      );
      return;
    }
    m.round++;
    m.leftBytes = remainder;
    m.dirtyBytes = 0;
    if (this.#autoConverge && m.round >= 3) m.throttlePct = Math.min(99, m.throttlePct ? m.throttlePct + 20 : 50);
    // workloads are not constant: jitter the dirty rate per round, reproducibly under the seed
    m.dirtyBps = m.vm.dirtyRateMiBps * MiB * (0.9 + 0.2 * this.#rnd()) * (1 - m.throttlePct / 100);
  }

  /** Sleep until the next event (so completions land on time), at most tickMs (so progress flows). */
  #nextWakeMs(): number {
    assignRates(this.#active, this.#linkBps);
    let ms = this.#tickMs;
    for (const m of this.#active) ms = Math.min(ms, this.#nextEventMs(m));
    return Math.max(1, Math.ceil(ms));
  }

  #startTicker(): void {
    if (this.#ticking) return;
    this.#ticking = true;
    const loop = async () => {
      try {
        while (this.#active.length > 0) {
          await this.#clock.sleep(this.#nextWakeMs());
          this.#catchUp();
        }
      } finally {
        this.#ticking = false;
      }
    };
    loop().catch((e) => this.#log.error({ err: e }, "simulator ticker failed"));
  }
}
