/**
 * The manager: one replica of the controller. It owns the replica-long parts (NATS feeds,
 * telemetry, audit, leader election) and, for each term of leadership, builds a LeaderContext
 * over the loaded store and runs the term's event source and reconcile loop. Only the leader acts
 * and answers ops requests; a follower keeps telemetry and waits. The pieces:
 * sources/ (inputs), ingest.ts (event -> alerts, trigger), runtime/observe.ts (one snapshot),
 * reconcile.ts (decisions), runtime/applier.ts (actions), ops/ (operator requests).
 */
import {
  type Clock,
  createLogger,
  ErrorCode,
  ensureStreams,
  type Logger,
  type Metrics,
  type NatsConnection,
  OpsError,
  type OpsReplies,
  resolveReplicas,
  type Subscription,
  systemClock,
} from "@presage/shared";
import { runAlertmanagerSync } from "./alertmanager/index.js";
import type { ControllerApi } from "./api.js";
import { AuditLog } from "./audit.js";
import type { ControllerConfig } from "./config.js";
import { LeaderElection } from "./leader.js";
import { controllerMetrics } from "./metrics/families.js";
import { registerStateMetrics } from "./metrics/state.js";
import type { MigrationEngine } from "./migration/engine.js";
import * as intents from "./ops/intents.js";
import * as queries from "./ops/queries.js";
import type { OpsRole } from "./ops/service.js";
import type { RebalanceRequest } from "./reconcile/rebalance.js";
import { LeaderContext, type ReplicaDeps } from "./runtime/context.js";
import { ReconcileLoop } from "./runtime/loop.js";
import { observe } from "./runtime/observe.js";
import { subscribeAgents } from "./sources/agents.js";
import { EventSource } from "./sources/events.js";
import { openControlBucket, openStore, type Store } from "./store/index.js";
import { Telemetry } from "./telemetry.js";

export { EVENTS_CONSUMER } from "./sources/events.js";

export type ControllerOptions = {
  nc: NatsConnection;
  engine: MigrationEngine;
  config: ControllerConfig;
  clock?: Clock;
  log?: Logger;
  /** replica name (lease holder, audit actor); default config.name */
  name?: string;
  metrics?: Metrics;
};

export interface Controller extends ControllerApi {
  readonly name: string;
  readonly metrics: Metrics;
  start(): Promise<void>;
  /** stop acting and release the lease; in-flight migrations keep running in the hypervisor */
  stop(): Promise<void>;
  /** acting as leader and, with elections, still holding an unexpired lease */
  isLeader(): boolean;
  /** called with true when this replica starts acting as leader, false when it stops */
  onLeaderChange(fn: (leader: boolean) => void): void;
  /** run a reconcile pass now (tests, demo) */
  reconcileNow(): Promise<void>;
  /** whether this replica answers ops requests now (ops/service.ts) */
  opsRole(): OpsRole;
  /** the replica that leads, as far as this one knows (itself when leading); null when none is known */
  leaderName(): string | null;
}

export async function createController(opts: ControllerOptions): Promise<Controller> {
  return new PresageController(opts);
}

/** One term's running parts. */
type Term = { ctx: LeaderContext; loop: ReconcileLoop; events: EventSource; done: Promise<unknown> };

class PresageController implements Controller {
  readonly name: string;
  readonly metrics: Metrics;
  readonly #deps: ReplicaDeps;
  readonly #log: Logger;
  #store: Store | null = null;
  #election: LeaderElection | null = null;
  readonly #subs: Subscription[] = [];
  readonly #listeners: ((leader: boolean) => void)[] = [];
  /** changes on every gain or loss of leadership, so stale work stops */
  #epoch = 0;
  #term: Term | null = null;

  constructor(o: ControllerOptions) {
    this.name = o.name ?? o.config.name;
    this.#log = (o.log ?? createLogger("presage-controller")).child({ replica: this.name });
    this.metrics = o.metrics ?? controllerMetrics();
    registerStateMetrics(this.metrics, () => this.#leader());
    this.#deps = {
      name: this.name,
      nc: o.nc,
      engine: o.engine,
      cfg: o.config,
      clock: o.clock ?? systemClock,
      log: this.#log,
      metrics: this.metrics,
      telemetry: new Telemetry({
        historyLength: o.config.readingsHistory,
        maxSensorsPerHost: o.config.telemetry.maxSensorsPerHost,
        metrics: this.metrics,
        log: this.#log,
      }),
      audit: new AuditLog(o.nc, this.#log, this.metrics),
    };
  }

  async start(): Promise<void> {
    const { nc, cfg } = this.#deps;
    // checked before anything is created: asking for more replicas than servers is a clear start-up error
    const replicas = resolveReplicas(nc, cfg.nats.replicas);
    await ensureStreams(nc, {}, replicas);
    this.#store = await openStore(nc, this.#log, this.metrics, replicas);
    this.#subs.push(...subscribeAgents(this.#deps, () => this.#leader()));
    if (cfg.leader.enabled) {
      this.#election = new LeaderElection(await openControlBucket(nc, replicas), {
        name: this.name,
        ttlMs: cfg.leader.leaseTtlMs,
        log: this.#log,
        onChange: (leader) => (leader ? void this.#becomeLeader(this.#store as Store) : this.#stepDown()),
      });
      await this.#election.start();
    } else {
      await this.#becomeLeader(this.#store);
    }
  }

  async stop(): Promise<void> {
    const term = this.#term;
    this.#stepDown();
    await this.#election?.stop();
    await term?.done;
    for (const s of this.#subs) s.unsubscribe();
    this.#subs.length = 0;
    // writes still queued get a moment to land (they retry while NATS is away), then give up
    if (term) await Promise.race([term.ctx.persist().catch(() => {}), new Promise((r) => setTimeout(r, 3_000))]);
    this.#store?.close();
    await this.#deps.audit.flush(2_000);
    this.#deps.audit.close();
  }

  /** The current term's context while it may act: acting, and holding an unexpired lease. */
  #leader(): LeaderContext | null {
    const t = this.#term;
    if (!t || (this.#election && !this.#election.holdsLease())) return null;
    return t.ctx;
  }

  isLeader(): boolean {
    return this.#leader() !== null;
  }

  opsRole(): OpsRole {
    if (this.#leader()) return "leader";
    // taking over (the store is loading) or just woken from a freeze: the real leader answers
    if (this.#election?.leader) return "follower";
    return this.#election?.otherHoldsLease() ? "follower" : "none";
  }

  leaderName(): string | null {
    if (this.#leader()) return this.name;
    return this.#election?.holder() ?? null;
  }

  onLeaderChange(fn: (leader: boolean) => void): void {
    this.#listeners.push(fn);
  }

  async #becomeLeader(store: Store): Promise<void> {
    const ep = ++this.#epoch;
    const live = () => ep === this.#epoch;
    let ctx: LeaderContext;
    try {
      store.reopen();
      await store.load();
      if (!live()) return;
      ctx = new LeaderContext(this.#deps, store, live, this.#deps.clock.now());
      const term: Term = { ctx, loop: new ReconcileLoop(ctx), events: new EventSource(ctx), done: Promise.resolve() };
      // leadership is audited once the engine answered, before orphans are adopted
      await observe(ctx, () => {
        this.#term = term;
        ctx.record({ action: "leader", actor: this.name, detail: `${this.name} is the leader and acts` });
      });
      if (!live()) return;
      await ctx.persist();
    } catch (e) {
      this.#log.error({ err: e }, "could not take over as leader; retrying");
      this.#term = null;
      if (live())
        void this.#deps.clock.sleep(1_000).then(() => {
          if (live()) void this.#becomeLeader(store);
        });
      return;
    }
    if (!live()) return;
    const term = this.#term as Term;
    const consumer = term.events.run().catch((e) => this.#log.error({ err: e }, "event consumer failed"));
    const am = runAlertmanagerSync(term.ctx).catch((e) => this.#log.error({ err: e }, "Alertmanager sync stopped"));
    term.done = Promise.all([consumer, term.loop.run().catch(() => {}), am]);
    for (const fn of this.#listeners) fn(true);
  }

  #stepDown(): void {
    const term = this.#term;
    this.#epoch++;
    this.#term = null;
    term?.events.stop();
    term?.ctx.wake();
    // migration handles are dropped, not cancelled: the migrations run on in the hypervisor and
    // the next leader re-attaches to them
    if (term) for (const fn of this.#listeners) fn(false);
  }

  reconcileNow(): Promise<void> {
    return this.#term?.loop.pass() ?? Promise.resolve();
  }

  // ---------------------------------------------------------------- operator API (ops/)

  #requireLeader(): LeaderContext {
    const ctx = this.#leader();
    if (!ctx) throw new OpsError(ErrorCode.NotLeader, `${this.name} is not the leader`);
    return ctx;
  }

  async hosts(req: { state?: string }): Promise<OpsReplies["hosts"]> {
    return queries.hosts(this.#requireLeader(), req);
  }

  async host(req: { host: string; readings?: number }): Promise<OpsReplies["host"]> {
    const ctx = this.#requireLeader();
    intents.hostRecord(ctx, req.host);
    return queries.host(ctx, req);
  }

  async events(req: Parameters<ControllerApi["events"]>[0]): Promise<OpsReplies["events"]> {
    return queries.events(this.#requireLeader(), req);
  }

  async migrations(req: { active?: boolean; host?: string; limit?: number }): Promise<OpsReplies["migrations"]> {
    return queries.migrations(this.#requireLeader(), req);
  }

  async plans(_req: Record<string, unknown>): Promise<OpsReplies["plans"]> {
    return queries.plans(this.#requireLeader());
  }

  async status(_req: Record<string, unknown>): Promise<OpsReplies["status"]> {
    return queries.status(this.#deps, this.#leader(), this.leaderName());
  }

  async audit(req: Parameters<ControllerApi["audit"]>[0]): Promise<OpsReplies["audit"]> {
    return queries.audit(this.#requireLeader(), req);
  }

  ack(req: { target: string; note?: string }, actor: string): Promise<OpsReplies["ack"]> {
    return intents.ack(this.#requireLeader(), req, actor);
  }

  repaired(req: { host: string; note?: string; force?: boolean }, actor: string): Promise<OpsReplies["repaired"]> {
    return intents.repaired(this.#requireLeader(), req, actor);
  }

  maintenanceEnter(
    req: Parameters<ControllerApi["maintenanceEnter"]>[0],
    actor: string,
  ): Promise<OpsReplies["maintenance-enter"]> {
    return intents.maintenanceEnter(this.#requireLeader(), req, actor);
  }

  maintenanceExit(req: { hosts: string[]; note?: string }, actor: string): Promise<OpsReplies["maintenance-exit"]> {
    return intents.maintenanceExit(this.#requireLeader(), req, actor);
  }

  planApprove(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-approve"]> {
    return intents.planDecision(this.#requireLeader(), req, actor, "approved");
  }

  planReject(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-reject"]> {
    return intents.planDecision(this.#requireLeader(), req, actor, "rejected");
  }

  rebalance(req: RebalanceRequest, actor: string): Promise<OpsReplies["rebalance"]> {
    return intents.rebalance(this.#requireLeader(), req, actor, () => this.reconcileNow());
  }
}
