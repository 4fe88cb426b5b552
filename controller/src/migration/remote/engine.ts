/**
 * A MigrationEngine across a process boundary: `RemoteEngine` is the client of an engine that
 * `serveEngine` (server.ts) answers for over NATS. Progress is published by the server and also
 * polled by the client, so a lost message or a controller restart never leaves a migration unfinished.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { ErrorCode, type Logger, OpsError, PresageError, silentLogger, subscribeJson, validate } from "@presage/shared";
import type {
  EngineHost,
  EngineVm,
  MigrateOptions,
  MigrationEngine,
  MigrationHandle,
  MigrationProgress,
} from "../engine.js";
import type { InjectedFailure } from "../sim/engine.js";
import { isTerminal, MigrationTracker, type ProgressListener } from "../tracker.js";
import {
  DEFAULT_ENGINE_PREFIX,
  type EngineOp,
  type EngineReply,
  type EngineRequest,
  type EngineSubjects,
  engineSubjects,
  progressCheck,
  type Reply,
  replyChecks,
} from "./protocol.js";
import type { SimControls } from "./server.js";

/** items per listing page */
const PAGE = 5_000;

export type RemoteEngineOptions = {
  prefix?: string;
  /** per request. Default 10_000 ms */
  timeoutMs?: number;
  /** how often unfinished migrations are re-checked with the server, real ms. Default 1_000 */
  pollMs?: number;
  log?: Logger;
};

export class RemoteEngine implements MigrationEngine, SimControls {
  readonly kind = "remote";
  #nc: NatsConnection;
  #s: EngineSubjects;
  #timeoutMs: number;
  #log: Logger;
  #trackers = new Map<string, MigrationTracker>();
  #sub: Subscription;
  #poller: NodeJS.Timeout;

  constructor(nc: NatsConnection, o: RemoteEngineOptions = {}) {
    this.#nc = nc;
    this.#s = engineSubjects(o.prefix ?? DEFAULT_ENGINE_PREFIX);
    this.#timeoutMs = o.timeoutMs ?? 10_000;
    this.#log = o.log ?? silentLogger;
    this.#sub = subscribeJson<MigrationProgress>(
      nc,
      this.#s.progress,
      progressCheck,
      (p) => this.#trackers.get(p.migrationId)?.update(p),
      { log: this.#log },
    );
    this.#poller = setInterval(() => void this.#poll(), o.pollMs ?? 1_000);
    this.#poller.unref();
  }

  async #call<K extends EngineOp>(op: K, body: EngineRequest<K>): Promise<EngineReply<K>> {
    const subject = this.#s[op];
    const m = await this.#nc.request(subject, JSON.stringify(body ?? {}), { timeout: this.#timeoutMs });
    const r = validate<Reply<EngineReply<K>>>(replyChecks[op], JSON.parse(new TextDecoder().decode(m.data)));
    if (!r.ok) throw new OpsError(ErrorCode.Internal, `bad reply on ${subject}: ${r.error}`);
    if (!r.value.ok) throw new PresageError(r.value.error.code, r.value.error.message);
    return r.value.value;
  }

  async #paged<T>(page: (offset: number) => Promise<{ items: T[]; next: number | null }>): Promise<T[]> {
    const out: T[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const p = await page(offset);
      for (const i of p.items) out.push(i);
      offset = p.next;
    }
    return out;
  }

  listHosts(): Promise<EngineHost[]> {
    return this.#paged((offset) => this.#call("hosts", { offset, limit: PAGE }));
  }

  listVms(): Promise<EngineVm[]> {
    return this.#paged((offset) => this.#call("vms", { offset, limit: PAGE }));
  }

  locate(vmId: string): Promise<string | null> {
    return this.#call("locate", { vm: vmId });
  }

  activeMigrations(): Promise<MigrationProgress[]> {
    return this.#call("active", {});
  }

  async migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle> {
    const { onProgress, ...rest } = opts;
    const first = await this.#call("migrate", { vm: vmId, to: toHost, ...rest });
    return this.#track(first).handle(onProgress);
  }

  async attach(migrationId: string, onProgress?: ProgressListener): Promise<MigrationHandle | null> {
    const local = this.#trackers.get(migrationId);
    if (local && !local.finished) return local.handle(onProgress);
    const p = await this.#call("status", { migrationId });
    if (!p || isTerminal(p.phase)) return null;
    return this.#track(p).handle(onProgress);
  }

  async setHostUp(host: string, up: boolean): Promise<void> {
    await this.#call("hostUp", { host, up });
  }

  async injectFailure(f: InjectedFailure): Promise<void> {
    await this.#call("inject", f);
  }

  async clearFailures(): Promise<void> {
    await this.#call("clearFailures", {});
  }

  async close(): Promise<void> {
    clearInterval(this.#poller);
    this.#sub.unsubscribe();
  }

  #track(p: MigrationProgress): MigrationTracker {
    const t = new MigrationTracker(p, async () => {
      await this.#call("cancel", { migrationId: p.migrationId });
    });
    this.#trackers.set(p.migrationId, t);
    t.done.then(() => this.#trackers.delete(p.migrationId));
    return t;
  }

  /** Catch up on migrations whose progress messages were lost (or published while we were away). */
  async #poll(): Promise<void> {
    for (const [id, t] of this.#trackers) {
      try {
        const p = await this.#call("status", { migrationId: id });
        if (p) t.update(p);
        else t.update({ ...t.last, phase: "failed", error: "the hypervisor no longer knows this migration" });
      } catch (e) {
        this.#log.debug({ err: e, migrationId: id }, "migration status poll failed; will retry");
      }
    }
  }
}
