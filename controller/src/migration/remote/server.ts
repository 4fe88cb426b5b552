/**
 * Any MigrationEngine served over NATS (request/reply on the engine subjects, progress published):
 * the sim hypervisor runs a SimEngine this way, so the controller can be killed while the
 * "hypervisor" keeps its VMs and migrations. RemoteEngine (engine.ts) is the client.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { ErrorCode, type Logger, OpsError, PresageError, silentLogger, validate } from "@presage/shared";
import type { EngineHost, EngineVm, MigrationEngine, MigrationHandle, MigrationProgress } from "../engine.js";
import type { InjectedFailure } from "../sim/engine.js";
import { isTerminal } from "../tracker.js";
import {
  DEFAULT_ENGINE_PREFIX,
  type EngineOp,
  type EngineRequest,
  engineSubjects,
  type PageRequest,
  type Reply,
  requestChecks,
} from "./protocol.js";

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

  const serve: Serve = (op, fn) => {
    const subject = s[op];
    const answer = async (m: Msg) => {
      let reply: Reply<unknown>;
      try {
        const text = m.data.length ? new TextDecoder().decode(m.data) : "{}";
        const r = validate<EngineRequest<typeof op>>(requestChecks[op], JSON.parse(text));
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

  serveListings(serve, engine);
  serveMigrations(serve, engine, { publish, watch, watched, latest });
  serveSimControls(serve, engine);

  return {
    ready: nc.flush(),
    async stop() {
      for (const sub of subs) sub.unsubscribe();
      await nc.flush().catch(() => {});
    },
  };
}

/** Answer one operation: its request is checked against the protocol's schema before `fn` sees it. */
type Serve = <K extends EngineOp>(op: K, fn: (req: EngineRequest<K>) => Promise<unknown> | unknown) => void;
type Engine = MigrationEngine & Partial<SimControls>;
type Progress = {
  publish(p: MigrationProgress): void;
  watch(h: MigrationHandle): void;
  watched: ReadonlySet<string>;
  latest: Map<string, MigrationProgress>;
};

function page<T>(all: T[], r: PageRequest) {
  const end = Math.min(all.length, r.offset + r.limit);
  return { items: all.slice(r.offset, end), next: end < all.length ? end : null };
}

/** A listing is one snapshot read page by page; offset 0 takes a fresh one. */
function serveListings(serve: Serve, engine: Engine): void {
  let hostSnapshot: EngineHost[] = [];
  let vmSnapshot: EngineVm[] = [];
  serve("hosts", async (r) => {
    if (r.offset === 0) hostSnapshot = await engine.listHosts();
    return page(hostSnapshot, r);
  });
  serve("vms", async (r) => {
    if (r.offset === 0) vmSnapshot = await engine.listVms();
    return page(vmSnapshot, r);
  });
  serve("locate", (r) => engine.locate(r.vm));
  serve("active", () => engine.activeMigrations());
}

function serveMigrations(serve: Serve, engine: Engine, prog: Progress): void {
  const { publish, watch, watched, latest } = prog;
  serve("migrate", async (r) => {
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
  serve("status", async (r) => {
    if (!watched.has(r.migrationId)) {
      const h = await engine.attach(r.migrationId, (p) => publish(p));
      if (h) watch(h);
      const cur = h?.current?.();
      if (cur) latest.set(cur.migrationId, cur);
    }
    return latest.get(r.migrationId) ?? null;
  });
  serve("cancel", async (r) => {
    const h = await engine.attach(r.migrationId);
    if (h) await h.cancel();
    return null;
  });
}

function serveSimControls(serve: Serve, engine: Engine): void {
  const simOnly = <K extends keyof SimControls>(k: K): SimControls[K] => {
    const f = engine[k];
    if (!f) throw new OpsError(ErrorCode.BadRequest, `engine ${engine.kind} has no ${k} control`);
    return f.bind(engine) as SimControls[K];
  };
  serve("hostUp", (r) => simOnly("setHostUp")(r.host, r.up));
  serve("inject", (r) => simOnly("injectFailure")(r));
  serve("clearFailures", () => simOnly("clearFailures")());
}
