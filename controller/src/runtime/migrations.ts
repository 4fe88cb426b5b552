/**
 * Migration bookkeeping for one leader term: record a migration durably before the engine hears of
 * it, follow its handle, settle it when it ends, and adopt the ones a previous term left behind.
 * Every settled migration is logged in `settled` so the observe step can correct an engine
 * listing that was taken before the VM moved (see observe.ts).
 */
import { type MigrationPurpose, type MigrationRecord, MigrationStatus, type PlanMove, subjects } from "@presage/shared";
import type { MigrationHandle, MigrationProgress } from "../migration/engine.js";
import type { FlightInfo } from "../reconcile.js";
import { ACTOR, type LeaderContext } from "./context.js";

const isOpen = (m: MigrationRecord) => m.status === MigrationStatus.Queued || m.status === MigrationStatus.Running;

export class MigrationBook {
  readonly #active = new Map<string, MigrationHandle>();
  readonly #starting = new Set<string>();
  readonly #seq = new Map<string, number>();
  /** count of migrations settled this term, and the completed ones in order */
  settledCount = 0;
  readonly completed: { n: number; vm: string; to: string }[] = [];

  constructor(readonly ctx: LeaderContext) {
    for (const m of ctx.store.migrations.values()) this.#noteSeq(m.id, m.vm);
  }

  #noteSeq(id: string, vm: string): void {
    const n = Number(id.slice(id.lastIndexOf("-") + 1));
    if (Number.isInteger(n)) this.#seq.set(vm, Math.max(this.#seq.get(vm) ?? 0, n));
  }

  inFlight(): FlightInfo[] {
    const out: FlightInfo[] = [];
    for (const m of this.ctx.store.migrations.values())
      if (isOpen(m)) out.push({ vm: m.vm, from: m.from, to: m.to, purpose: m.purpose });
    return out;
  }

  /** VMs whose latest migration failed less than migration.retryAfterMs ago. */
  retryHold(now: number): Set<string> {
    const latest = new Map<string, MigrationRecord>();
    for (const m of this.ctx.store.migrations.values()) {
      const cur = latest.get(m.vm);
      if (!cur || (m.startedAt ?? 0) >= (cur.startedAt ?? 0)) latest.set(m.vm, m);
    }
    const hold = new Set<string>();
    for (const [vm, m] of latest)
      if (m.status === "failed" && now - (m.finishedAt ?? 0) < this.ctx.cfg.migration.retryAfterMs) hold.add(vm);
    return hold;
  }

  /**
   * Record the migration durably, then start it. The id is deterministic (purpose, VM, attempt
   * number), so the engine refuses a second start of the same migration after a crash; the move's
   * source goes with it, so the engine refuses a VM that is no longer where the plan saw it.
   */
  async start(move: PlanMove, purpose: MigrationPurpose): Promise<void> {
    const { ctx } = this;
    const n = (this.#seq.get(move.vm) ?? 0) + 1;
    this.#seq.set(move.vm, n);
    const id = `${purpose}-${move.vm}-${n}`;
    const rec: MigrationRecord = {
      id,
      vm: move.vm,
      from: move.from,
      to: move.to,
      purpose,
      status: MigrationStatus.Queued,
      startedAt: ctx.now(),
      finishedAt: null,
      progress: 0,
      bytesTotal: null,
      bytesRemaining: null,
      error: null,
    };
    this.#starting.add(id);
    try {
      ctx.store.migrations.set(id, rec);
      ctx.record(
        {
          action: "migration.start",
          host: move.from,
          vm: move.vm,
          actor: ACTOR,
          detail: `${purpose}: ${move.vm} ${move.from} -> ${move.to}`,
          data: { migration: id, to: move.to },
        },
        `start:${id}`,
      );
      // recorded (audit, then KV) before the engine hears of it: a restart never loses track
      await ctx.persist();
      if (!ctx.live()) return;
      await this.#launch(move, id);
    } finally {
      this.#starting.delete(id);
    }
  }

  async #launch(move: PlanMove, id: string): Promise<void> {
    const m = this.ctx.cfg.migration;
    let handle: MigrationHandle;
    try {
      handle = await this.ctx.deps.engine.migrate(move.vm, move.to, {
        migrationId: id,
        from: move.from,
        onProgress: (p) => this.#onProgress(id, p),
        ...(m.bandwidthBps ? { bandwidthBps: m.bandwidthBps } : {}),
        ...(m.downtimeLimitMs ? { downtimeLimitMs: m.downtimeLimitMs } : {}),
        ...(m.deadlineMs ? { deadlineMs: m.deadlineMs } : {}),
      });
    } catch (e) {
      const error = String((e as Error).message ?? e);
      this.finish(id, { ...endOf(id, move), phase: "failed", error });
      return;
    }
    this.#track(handle);
  }

  #track(handle: MigrationHandle): void {
    const { store } = this.ctx;
    const id = handle.migrationId;
    this.#active.set(id, handle);
    const rec = store.migrations.get(id);
    if (rec && rec.status === MigrationStatus.Queued)
      store.migrations.set(id, { ...rec, status: MigrationStatus.Running });
    this.ctx.persistSoon();
    void handle.done.then((p) => this.finish(id, p));
  }

  #onProgress(id: string, p: MigrationProgress): void {
    const rec = this.ctx.store.migrations.get(id);
    if (!rec || !this.ctx.live()) return;
    const progress = p.totalBytes > 0 ? Math.min(1, p.transferredBytes / p.totalBytes) : rec.progress;
    // progress stays in memory (KV gets the final state); watchers get it live
    Object.assign(rec, { progress, bytesTotal: p.totalBytes, bytesRemaining: p.remainingBytes });
    this.ctx.deps.nc.publish(subjects.migrations, JSON.stringify(rec));
  }

  /** Settle a migration from its final progress (no-op if a newer term owns it or it is settled). */
  finish(id: string, p: MigrationProgress): void {
    const { ctx } = this;
    if (!ctx.live()) return; // a newer leader resolves it from the engine
    this.#active.delete(id);
    const rec = ctx.store.migrations.get(id);
    if (!rec || !isOpen(rec)) return;
    const status =
      p.phase === "completed"
        ? MigrationStatus.Completed
        : p.phase === "cancelled"
          ? MigrationStatus.Cancelled
          : MigrationStatus.Failed;
    const done: MigrationRecord = {
      ...rec,
      status,
      finishedAt: ctx.now(),
      progress: status === "completed" ? 1 : rec.progress,
      error: p.error ?? null,
    };
    ctx.store.migrations.set(id, done);
    this.settledCount++;
    if (status === MigrationStatus.Completed) {
      this.completed.push({ n: this.settledCount, vm: rec.vm, to: rec.to });
      const vm = ctx.store.vms.get(rec.vm);
      // a rebalance changes where a VM belongs; evacuations keep its home for the return
      if (vm) ctx.store.vms.set(rec.vm, { ...vm, host: rec.to, home: rec.purpose === "rebalance" ? rec.to : vm.home });
    }
    const { metrics } = ctx.deps;
    metrics.inc("presage_migrations_total", { purpose: rec.purpose, status });
    metrics.inc("presage_migration_bytes_total", { purpose: rec.purpose }, Math.max(0, p.transferredBytes));
    if (rec.startedAt !== null)
      metrics.observe(
        "presage_migration_duration_seconds",
        Math.max(0, (done.finishedAt ?? 0) - rec.startedAt) / 1_000,
        {
          purpose: rec.purpose,
          status,
        },
      );
    ctx.deps.nc.publish(subjects.migrations, JSON.stringify(done));
    ctx.record(
      {
        action: status === MigrationStatus.Completed ? "migration.done" : "migration.failed",
        host: rec.from,
        vm: rec.vm,
        actor: ACTOR,
        detail: `${rec.purpose}: ${rec.vm} ${rec.from} -> ${rec.to} ${status}${p.error ? `: ${p.error}` : ""}`,
        data: { migration: id, to: rec.to },
      },
      `${status}:${id}`,
    );
    ctx.persistSoon();
    ctx.wake();
  }

  /** Completed migrations settled after `mark` (a value of settledCount): VM -> where it went. */
  movedSince(mark: number): Map<string, string> {
    const out = new Map<string, string>();
    for (let i = this.completed.length - 1; i >= 0; i--) {
      const c = this.completed[i] as { n: number; vm: string; to: string };
      if (c.n <= mark) break;
      if (!out.has(c.vm)) out.set(c.vm, c.to);
    }
    // only the recent tail is ever asked for
    if (this.completed.length > 10_000) this.completed.splice(0, this.completed.length - 1_000);
    return out;
  }

  /**
   * Migrations recorded as queued or running that this term does not follow (after a crash, a
   * failover or a failed start): re-attach if the engine still runs them, else settle them from
   * where the engine says the VM is. Nothing is started again under the same id.
   */
  async adoptOrphans(): Promise<void> {
    const { ctx } = this;
    const { engine } = ctx.deps;
    const orphans = [...ctx.store.migrations.values()].filter(
      (m) => isOpen(m) && !this.#active.has(m.id) && !this.#starting.has(m.id),
    );
    if (!orphans.length) return;
    const running = new Set((await engine.activeMigrations()).map((p) => p.migrationId));
    for (const m of orphans) {
      if (!ctx.live()) return;
      if (running.has(m.id)) {
        const h = await engine.attach(m.id, (p) => this.#onProgress(m.id, p));
        if (h) {
          ctx.record({
            action: "migration.resume",
            host: m.from,
            vm: m.vm,
            actor: ACTOR,
            detail: `re-attached to ${m.id} after a restart`,
          });
          this.#track(h);
          continue;
        }
      }
      const at = await engine.locate(m.vm);
      if (at === m.to) this.finish(m.id, { ...endOf(m.id, m), phase: "completed" });
      else
        this.finish(m.id, {
          ...endOf(m.id, m),
          // not a failure of the VM or the target: plan it again at once
          phase: "cancelled",
          error: `interrupted by a controller restart; VM is on ${at ?? "no host"}`,
        });
    }
  }
}

function endOf(id: string, m: { vm: string; from: string; to: string }) {
  return { migrationId: id, vm: m.vm, from: m.from, to: m.to, transferredBytes: 0, remainingBytes: 0, totalBytes: 0 };
}
