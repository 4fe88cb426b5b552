/**
 * A MigrationEngine across a process boundary: `RemoteEngine` is the client of an engine that
 * `serveEngine` (server.ts) answers for over NATS. Progress is published by the server and also
 * polled by the client, so a lost message or a controller restart never leaves a migration unfinished.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  type Check,
  ErrorCode,
  type Logger,
  OpsError,
  PresageError,
  silentLogger,
  subscribeJson,
  validate,
} from "@presage/shared";
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
  type EngineSubjects,
  engineSubjects,
  hostOrNullCheck,
  hostPageCheck,
  nullCheck,
  progressCheck,
  progressListCheck,
  progressOrNullCheck,
  type Reply,
  replyCheck,
  vmPageCheck,
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

  async #call<T>(subject: string, body: unknown, valueCheck: Check): Promise<T> {
    const m = await this.#nc.request(subject, JSON.stringify(body ?? {}), { timeout: this.#timeoutMs });
    const text = new TextDecoder().decode(m.data);
    const r = validate<Reply<unknown>>(replyCheck, JSON.parse(text));
    if (!r.ok) throw new OpsError(ErrorCode.Internal, `bad reply on ${subject}: ${r.error}`);
    if (!r.value.ok) throw new PresageError(r.value.error.code, r.value.error.message);
    const v = validate<T>(valueCheck, r.value.value);
    if (!v.ok) throw new OpsError(ErrorCode.Internal, `bad reply on ${subject}: ${v.error}`);
    return v.value;
  }

  async #paged<T>(subject: string, pageCheck: Check): Promise<T[]> {
    const out: T[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const p: { items: T[]; next: number | null } = await this.#call(subject, { offset, limit: PAGE }, pageCheck);
      for (const i of p.items) out.push(i);
      offset = p.next;
    }
    return out;
  }

  listHosts(): Promise<EngineHost[]> {
    return this.#paged(this.#s.hosts, hostPageCheck);
  }

  listVms(): Promise<EngineVm[]> {
    return this.#paged(this.#s.vms, vmPageCheck);
  }

  locate(vmId: string): Promise<string | null> {
    return this.#call(this.#s.locate, { vm: vmId }, hostOrNullCheck);
  }

  activeMigrations(): Promise<MigrationProgress[]> {
    return this.#call(this.#s.active, {}, progressListCheck);
  }

  async migrate(vmId: string, toHost: string, opts: MigrateOptions): Promise<MigrationHandle> {
    const { onProgress, ...rest } = opts;
    const first = await this.#call<MigrationProgress>(
      this.#s.migrate,
      { vm: vmId, to: toHost, ...rest },
      progressCheck,
    );
    return this.#track(first).handle(onProgress);
  }

  async attach(migrationId: string, onProgress?: ProgressListener): Promise<MigrationHandle | null> {
    const local = this.#trackers.get(migrationId);
    if (local && !local.finished) return local.handle(onProgress);
    const p = await this.#call<MigrationProgress | null>(this.#s.status, { migrationId }, progressOrNullCheck);
    if (!p || isTerminal(p.phase)) return null;
    return this.#track(p).handle(onProgress);
  }

  setHostUp(host: string, up: boolean): Promise<void> {
    return this.#call(this.#s.hostUp, { host, up }, nullCheck);
  }

  injectFailure(f: InjectedFailure): Promise<void> {
    return this.#call(this.#s.inject, f, nullCheck);
  }

  clearFailures(): Promise<void> {
    return this.#call(this.#s.clearFailures, {}, nullCheck);
  }

  async close(): Promise<void> {
    clearInterval(this.#poller);
    this.#sub.unsubscribe();
  }

  #track(p: MigrationProgress): MigrationTracker {
    const t = new MigrationTracker(p, () => this.#call(this.#s.cancel, { migrationId: p.migrationId }, nullCheck));
    this.#trackers.set(p.migrationId, t);
    t.done.then(() => this.#trackers.delete(p.migrationId));
    return t;
  }

  /** Catch up on migrations whose progress messages were lost (or published while we were away). */
  async #poll(): Promise<void> {
    for (const [id, t] of this.#trackers) {
      try {
        const p = await this.#call<MigrationProgress | null>(this.#s.status, { migrationId: id }, progressOrNullCheck);
        if (p) t.update(p);
        else t.update({ ...t.last, phase: "failed", error: "the hypervisor no longer knows this migration" });
      } catch (e) {
        this.#log.debug({ err: e, migrationId: id }, "migration status poll failed; will retry");
      }
    }
  }
}
