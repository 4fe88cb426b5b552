/**
 * The double-migration race (a VM that just moved is planned again from its old host): the real
 * observe -> reconcile -> apply path of one leader term, over an engine whose listings, starts and
 * completions resolve in an order fast-check chooses. Thousands of seeded interleavings of
 * completions and passes: the controller never asks to move a VM from a host it has left, and
 * never starts a second migration of a VM.
 */
import { HostState, type MigrationRecord, silentLogger } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/audit.js";
import { controllerConfig } from "../../src/config.js";
import { controllerMetrics } from "../../src/metrics/index.js";
import type {
  EngineHost,
  EngineVm,
  MigrateOptions,
  MigrationEngine,
  MigrationHandle,
  MigrationProgress,
} from "../../src/migration/engine.js";
import { LeaderContext } from "../../src/runtime/context.js";
import { ReconcileLoop } from "../../src/runtime/loop.js";
import type { Store } from "../../src/store/index.js";
import { Telemetry } from "../../src/telemetry.js";

/** A hypervisor whose every answer is delivered when the scheduler says. */
class ScheduledEngine implements MigrationEngine {
  readonly kind = "scheduled";
  readonly vms: Map<string, string>;
  readonly starts: { vm: string; from: string; to: string }[] = [];
  refusals = 0;
  readonly #moving = new Set<string>();

  constructor(
    readonly s: fc.Scheduler,
    readonly hosts: string[],
    vms: [string, string][],
  ) {
    this.vms = new Map(vms);
  }

  listHosts(): Promise<EngineHost[]> {
    const hosts = this.hosts.map((name) => ({ name, cpuCapacity: 64, memoryMiB: 262_144, up: true }));
    return this.s.schedule(Promise.resolve(hosts), "listHosts");
  }

  listVms(): Promise<EngineVm[]> {
    // the listing is taken now and delivered later: completions may land in between
    const vms = [...this.vms].map(([id, host]) => ({ id, host, memoryMiB: 4096, vcpus: 2, running: true }));
    return this.s.schedule(Promise.resolve(vms), "listVms");
  }

  async locate(vm: string): Promise<string | null> {
    return this.vms.get(vm) ?? null;
  }

  async activeMigrations(): Promise<MigrationProgress[]> {
    return [];
  }

  async attach(): Promise<MigrationHandle | null> {
    return null;
  }

  async close(): Promise<void> {}

  async migrate(vm: string, to: string, opts: MigrateOptions): Promise<MigrationHandle> {
    const at = this.vms.get(vm) ?? null;
    if (at !== opts.from || this.#moving.has(vm)) {
      this.refusals++;
      throw new Error(`VM ${vm} is on ${at}, not ${opts.from}`);
    }
    this.starts.push({ vm, from: at, to });
    this.#moving.add(vm);
    const p = {
      migrationId: opts.migrationId,
      vm,
      from: at,
      to,
      transferredBytes: 1,
      remainingBytes: 0,
      totalBytes: 1,
    };
    const done = this.s.schedule(Promise.resolve(), `done ${vm}`).then((): MigrationProgress => {
      this.vms.set(vm, to);
      this.#moving.delete(vm);
      return { ...p, phase: "completed" };
    });
    return { migrationId: opts.migrationId, done, cancel: async () => {} };
  }
}

/** The store's buckets as plain maps (the KV mirror is tested against NATS elsewhere). */
function memoryStore(s: fc.Scheduler): Store {
  const bucket = () => {
    const m = new Map<string, unknown>();
    return Object.assign(m, { flush: async () => {}, load: async () => {}, close() {}, reopen() {} });
  };
  const buckets = { hosts: bucket(), vms: bucket(), alerts: bucket(), migrations: bucket(), plans: bucket() };
  return {
    ...buckets,
    load: async () => {},
    // a write lands when the scheduler says: another interleaving point, as with real KV
    flush: () => s.schedule(Promise.resolve(), "flush"),
    close() {},
    reopen() {},
  } as unknown as Store;
}

async function evacuate(s: fc.Scheduler, hostCount: number, vmCount: number, perSource: number, passes: number) {
  const hosts = Array.from({ length: hostCount }, (_, i) => `h${i}`);
  const engine = new ScheduledEngine(
    s,
    hosts,
    Array.from({ length: vmCount }, (_, i): [string, string] => [`v${i}`, "h0"]),
  );
  const store = memoryStore(s);
  for (const h of hosts)
    store.hosts.set(h, {
      host: h,
      state: h === "h0" ? HostState.Evacuating : HostState.Healthy,
      since: 0,
      reason: "test",
      lastHeartbeat: null,
      lost: false,
    });
  const cfg = controllerConfig({ concurrency: { perSource, perTarget: 2, fleet: 8 }, headroom: { cpu: 0, memory: 0 } });
  const audit = { record() {}, drained: async () => {}, recent: () => [] } as unknown as AuditLog;
  const deps = {
    name: "race",
    nc: { publish() {} } as never,
    engine,
    cfg,
    clock: { now: () => 1_000_000, sleep: async () => {} },
    log: silentLogger,
    metrics: controllerMetrics(),
    telemetry: new Telemetry(5),
    audit,
  };
  const ctx = new LeaderContext(deps, store, () => true, 0);
  const loop = new ReconcileLoop(ctx);
  const all = Promise.all(Array.from({ length: passes }, () => loop.pass()));
  await s.waitFor(all);
  await s.waitIdle();
  return { engine, migrations: [...store.migrations.values()] as MigrationRecord[] };
}

describe("double-migration race", () => {
  it("race - over thousands of interleavings of completions and passes, no VM is moved from a host it left or started twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 6 }),
        async (s, hostCount, vmCount, perSource, passes) => {
          const { engine, migrations } = await evacuate(s, hostCount, vmCount, perSource, passes);
          expect(engine.refusals).toBe(0);
          const perVm = new Map<string, number>();
          for (const st of engine.starts) perVm.set(st.vm, (perVm.get(st.vm) ?? 0) + 1);
          for (const n of perVm.values()) expect(n).toBe(1);
          expect(migrations.filter((m) => m.status === "failed")).toEqual([]);
          for (const st of engine.starts) expect(st.from).toBe("h0");
        },
      ),
      { numRuns: 3_000 },
    );
  }, 120_000);
});
