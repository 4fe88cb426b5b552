/**
 * A MigrationEngine across a process boundary: `serveEngine` answers NATS requests for any engine (the
 * sim hypervisor runs a SimEngine this way, so the controller can be killed while the "hypervisor" keeps
 * its VMs and migrations), and `RemoteEngine` is the client. Progress is published by the server and also
 * polled by the client, so a lost message or a controller restart never leaves a migration unfinished.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
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
} from "./engine.js";
import {
  DEFAULT_ENGINE_PREFIX,
  type EngineSubjects,
  emptyCheck,
  engineSubjects,
  hostOrNullCheck,
  hostPageCheck,
  hostUpRequestCheck,
  injectRequestCheck,
  locateRequestCheck,
  migrateRequestCheck,
  migrationIdRequestCheck,
  nullCheck,
  pageRequestCheck,
  progressCheck,
  progressListCheck,
  progressOrNullCheck,
  type Reply,
  replyCheck,
  vmPageCheck,
} from "./remote-protocol.js";
import type { InjectedFailure } from "./sim.js";
import { isTerminal, MigrationTracker, type ProgressListener } from "./tracker.js";

/** Optional simulator controls the server exposes when the engine has them. */
export type SimControls = {
  setHostUp(host: string, up: boolean): void;
  injectFailure(f: InjectedFailure): void;
  clearFailures(): void;
};

export type ServeEngineOptions = {
  prefix?: string;
  log?: Logger;
  /** at most one progress message per migration per this many ms (terminal ones always go). Default 200 */
  progressIntervalMs?: number;
};

export type EngineServer = {
  /** resolves once the server has registered every subscription (await it before clients call) */
  ready: Promise<void>;
  stop(): Promise<void>;
};

const PAGE = 5_000;

function errorReply(e: unknown): Reply<never> {
  const code = e instanceof PresageError ? e.code : ErrorCode.Internal;
  return { ok: false, error: { code, message: (e as Error)?.message ?? String(e) } };
}

export function serveEngine(
  nc: NatsConnection,
  engine: MigrationEngine & Partial<SimControls>,
  o: ServeEngineOptions = {},
): EngineServer {
  const s = engineSubjects(o.prefix ?? DEFAULT_ENGINE_PREFIX);
  const log = o.log ?? silentLogger;
  const interval = o.progressIntervalMs ?? 200;
  const latest = new Map<string, MigrationProgress>();
  const lastSent = new Map<string, number>();
  const watched = new Set<string>();
  const subs: Subscription[] = [];
  let hostSnapshot: EngineHost[] = [];
  let vmSnapshot: EngineVm[] = [];

  const publish = (p: MigrationProgress, force = false) => {
    latest.set(p.migrationId, p);
    const now = Date.now();
    if (!force && !isTerminal(p.phase) && now - (lastSent.get(p.migrationId) ?? 0) < interval) return;
    lastSent.set(p.migrationId, now);
    if (isTerminal(p.phase)) lastSent.delete(p.migrationId);
    nc.publish(s.progress, JSON.stringify(p));
  };
  const watch = (h: MigrationHandle) => {
    if (watched.has(h.migrationId)) return;
    watched.add(h.migrationId);
    h.done.then((p) => publish(p, true));
  };

  const serve = <Req>(subject: string, reqCheck: Check, fn: (req: Req) => Promise<unknown> | unknown) => {
    const answer = async (m: Msg) => {
      let reply: Reply<unknown>;
      try {
        const text = m.data.length ? new TextDecoder().decode(m.data) : "{}";
        const r = validate<Req>(reqCheck, JSON.parse(text));
        if (!r.ok) throw new OpsError(ErrorCode.BadRequest, r.error);
        reply = { ok: true, value: (await fn(r.value)) ?? null };
      } catch (e) {
        reply = errorReply(e);
      }
      m.respond(JSON.stringify(reply));
    };
    const sub = nc.subscribe(subject);
    subs.push(sub);
    (async () => {
      for await (const m of sub) void answer(m);
    })().catch((e) => log.error({ err: e, subject }, "engine server subscription ended"));
  };

  const page = <T>(all: T[], r: { offset: number; limit: number }) => {
    const end = Math.min(all.length, r.offset + r.limit);
    return { items: all.slice(r.offset, end), next: end < all.length ? end : null };
  };
  const simOnly = <K extends keyof SimControls>(k: K): SimControls[K] => {
    const f = engine[k];
    if (!f) throw new OpsError(ErrorCode.BadRequest, `engine ${engine.kind} has no ${k} control`);
    return f.bind(engine) as SimControls[K];
  };

  type PageReq = { offset: number; limit: number };
  // a listing is one snapshot read page by page; offset 0 takes a fresh one
  serve<PageReq>(s.hosts, pageRequestCheck, async (r) => {
    if (r.offset === 0) hostSnapshot = await engine.listHosts();
    return page(hostSnapshot, r);
  });
  serve<PageReq>(s.vms, pageRequestCheck, async (r) => {
    if (r.offset === 0) vmSnapshot = await engine.listVms();
    return page(vmSnapshot, r);
  });
  serve<{ vm: string }>(s.locate, locateRequestCheck, (r) => engine.locate(r.vm));
  serve(s.active, emptyCheck, () => engine.activeMigrations());
  serve<{ vm: string; to: string } & MigrateOptions>(s.migrate, migrateRequestCheck, async (r) => {
    const h = await engine.migrate(r.vm, r.to, {
      migrationId: r.migrationId,
      ...(r.from !== undefined ? { from: r.from } : {}),
      ...(r.bandwidthBps !== undefined ? { bandwidthBps: r.bandwidthBps } : {}),
      ...(r.downtimeLimitMs !== undefined ? { downtimeLimitMs: r.downtimeLimitMs } : {}),
      ...(r.deadlineMs !== undefined ? { deadlineMs: r.deadlineMs } : {}),
      onProgress: (p) => publish(p),
    });
    watch(h);
    const now = h.current?.() ?? latest.get(h.migrationId);
    if (!now) throw new OpsError(ErrorCode.Internal, `engine ${engine.kind} gave no progress for ${h.migrationId}`);
    latest.set(now.migrationId, now);
    return now;
  });
  serve<{ migrationId: string }>(s.status, migrationIdRequestCheck, async (r) => {
    if (!watched.has(r.migrationId)) {
      const h = await engine.attach(r.migrationId, (p) => publish(p));
      if (h) watch(h);
      const cur = h?.current?.();
      if (cur) latest.set(cur.migrationId, cur);
    }
    return latest.get(r.migrationId) ?? null;
  });
  serve<{ migrationId: string }>(s.cancel, migrationIdRequestCheck, async (r) => {
    const h = await engine.attach(r.migrationId);
    if (h) await h.cancel();
    return null;
  });
  serve<{ host: string; up: boolean }>(s.hostUp, hostUpRequestCheck, (r) => simOnly("setHostUp")(r.host, r.up));
  serve<InjectedFailure>(s.inject, injectRequestCheck, (r) => simOnly("injectFailure")(r));
  serve(s.clearFailures, emptyCheck, () => simOnly("clearFailures")());

  return {
    ready: nc.flush(),
    async stop() {
      for (const sub of subs) sub.unsubscribe();
      await nc.flush().catch(() => {});
    },
  };
}

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
