/**
 * The controller: wires NATS (events, heartbeats, readings), the durable store, the migration
 * engine and leader election around the pure core (lifecycle, planner, brake, alerts, reconcile),
 * and implements the operator API. Only the leader acts; a follower keeps telemetry and waits.
 */
import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  type Alert,
  type AlertFeedMessage,
  type AuditRecord,
  batchCheck,
  type Clock,
  createLogger,
  decodeMessage,
  ErrorCode,
  ensureStreams,
  eventCheck,
  type Heartbeat,
  type HostRecord,
  HostState,
  heartbeatCheck,
  hostOfSubject,
  type Logger,
  Metrics,
  type MigrationPurpose,
  type MigrationRecord,
  MigrationStatus,
  type NatsConnection,
  OpsError,
  type OpsReplies,
  type Plan,
  type PlanMove,
  type ReadingBatch,
  type SensorEvent,
  Severity,
  STREAM_EVENTS,
  type Subscription,
  subjects,
  subscribeJson,
  systemClock,
  type VmRecord,
} from "@presage/shared";
import { AckPipeline } from "./ack-pipeline.js";
import { ackAlerts, alertsForEvent, CONTROLLER_ALERT_PREFIX, controllerAlert, dueEscalations } from "./alerts.js";
import type { ControllerApi } from "./api.js";
import { AuditLog } from "./audit.js";
import { type Aggressiveness, planRebalance } from "./balance/planner.js";
import { applyBrake, type BrakeStatus } from "./brake.js";
import { type ControllerConfig, PolicyMode } from "./config.js";
import { LeaderElection } from "./leader.js";
import { canTransition, nextState, Trigger } from "./lifecycle.js";
import { previewMaintenance } from "./maintenance/preview.js";
import type { EngineHost, EngineVm, MigrationEngine, MigrationHandle, MigrationProgress } from "./migration/engine.js";
import type { FleetView, HostView } from "./model.js";
import { vmCpu } from "./placement/capacity.js";
import { startable } from "./placement/planner.js";
import { evacuationWorkInFlight } from "./rebalance-pause.js";
import { type Action, type FlightInfo, reconcile } from "./reconcile.js";
import { openControlBucket, openStore, type Store } from "./store/index.js";
import { Telemetry } from "./telemetry.js";

export const EVENTS_CONSUMER = "presage-controller";
/** events per pull request, per persisted batch, and at most consumed ahead of what is stored */
const FETCH_BATCH = 2_000;
const INGEST_BATCH = 1_000;
const MAX_UNACKED = 8_000;
const ACTOR = "controller";

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
  isLeader(): boolean;
  /** called with true when this replica starts acting as leader, false when it stops */
  onLeaderChange(fn: (leader: boolean) => void): void;
  /** run a reconcile pass now (tests, demo) */
  reconcileNow(): Promise<void>;
}

export async function createController(opts: ControllerOptions): Promise<Controller> {
  return new PresageController(opts);
}

class PresageController implements Controller {
  readonly name: string;
  readonly metrics: Metrics;
  readonly #nc: NatsConnection;
  readonly #engine: MigrationEngine;
  readonly #cfg: ControllerConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #telemetry: Telemetry;
  #store: Store | null = null;
  #audit: AuditLog | null = null;
  #election: LeaderElection | null = null;
  readonly #subs: Subscription[] = [];
  readonly #listeners: ((leader: boolean) => void)[] = [];

  // leader-only state; `#epoch` changes on every gain or loss of leadership so stale work stops
  #epoch = 0;
  #acting = false;
  #leaderSince = 0;
  #engineHosts = new Map<string, EngineHost>();
  #engineVms: EngineVm[] = [];
  readonly #active = new Map<string, MigrationHandle>();
  readonly #starting = new Set<string>();
  readonly #migSeq = new Map<string, number>();
  /** open alert ids per host, so an event touches only its host's alerts */
  readonly #openAlerts = new Map<string, Set<string>>();
  #brake: BrakeStatus = { engaged: false, inRemediation: 0, limit: 0, waiting: [] };
  #stopConsumer: (() => void) | null = null;
  #wake: (() => void) | null = null;
  #loopDone: Promise<void> | null = null;
  #consumerDone: Promise<void> | null = null;
  #tickChain: Promise<void> = Promise.resolve();
  #lastRebalance = 0;

  constructor(o: ControllerOptions) {
    this.#nc = o.nc;
    this.#engine = o.engine;
    this.#cfg = o.config;
    this.#clock = o.clock ?? systemClock;
    this.name = o.name ?? o.config.name;
    this.#log = (o.log ?? createLogger("presage-controller")).child({ replica: this.name });
    this.metrics = o.metrics ?? new Metrics();
    this.#telemetry = new Telemetry({
      historyLength: o.config.readingsHistory,
      maxSensorsPerHost: o.config.telemetry.maxSensorsPerHost,
      metrics: this.metrics,
      log: this.#log,
    });
    this.metrics.describe("presage_events_total", "events consumed, by severity");
    this.metrics.describe("presage_unknown_host_messages_total", "messages about hosts the engine does not know");
    this.metrics.describe("presage_migrations_total", "migrations finished, by purpose and status");
  }

  // ---------------------------------------------------------------- lifecycle of the replica

  async start(): Promise<void> {
    await ensureStreams(this.#nc);
    this.#store = await openStore(this.#nc, this.#log, this.metrics);
    this.#audit = new AuditLog(this.#nc, this.#log, this.metrics);
    const o = { log: this.#log, metrics: this.metrics };
    this.#subs.push(
      subscribeJson<Heartbeat>(
        this.#nc,
        subjects.allHealth,
        heartbeatCheck,
        (hb, m) => this.#onHeartbeat(hb, m.subject),
        o,
      ),
      subscribeJson<ReadingBatch>(
        this.#nc,
        subjects.allReadings,
        batchCheck,
        (b, m) => this.#onReadings(b, m.subject),
        o,
      ),
    );
    if (this.#cfg.leader.enabled) {
      this.#election = new LeaderElection(await openControlBucket(this.#nc), {
        name: this.name,
        ttlMs: this.#cfg.leader.leaseTtlMs,
        log: this.#log,
        onChange: (leader) => (leader ? void this.#becomeLeader() : this.#stepDown()),
      });
      await this.#election.start();
    } else {
      await this.#becomeLeader();
    }
  }

  async stop(): Promise<void> {
    this.#stepDown();
    await this.#election?.stop();
    await this.#loopDone?.catch(() => {});
    await this.#consumerDone;
    for (const s of this.#subs) s.unsubscribe();
    this.#subs.length = 0;
    // writes still queued get a moment to land (they retry while NATS is away), then give up
    await Promise.race([this.#persist().catch(() => {}), new Promise((r) => setTimeout(r, 3_000))]);
    this.#store?.close();
    await this.#audit?.flush(2_000);
    this.#audit?.close();
  }

  isLeader(): boolean {
    return this.#acting;
  }

  onLeaderChange(fn: (leader: boolean) => void): void {
    this.#listeners.push(fn);
  }

  async #becomeLeader(): Promise<void> {
    const ep = ++this.#epoch;
    try {
      const store = this.#store as Store;
      store.reopen();
      await store.load();
      if (ep !== this.#epoch) return;
      this.#indexAlerts();
      for (const m of store.migrations.values()) this.#noteSeq(m.id, m.vm);
      this.#leaderSince = this.#clock.now();
      await this.#refreshEngine();
      this.#acting = true;
      this.#record({ action: "leader", actor: this.name, detail: `${this.name} is the leader and acts` });
      await this.#adoptOrphans(ep);
      await this.#persist();
    } catch (e) {
      this.#log.error({ err: e }, "could not take over as leader; retrying");
      this.#acting = false;
      if (ep === this.#epoch) setTimeout(() => ep === this.#epoch && void this.#becomeLeader(), 1_000);
      return;
    }
    if (ep !== this.#epoch) return;
    this.#consumerDone = this.#consumeEvents(ep).catch((e) => this.#log.error({ err: e }, "event consumer failed"));
    this.#loopDone = this.#loop(ep);
    for (const fn of this.#listeners) fn(true);
  }

  #stepDown(): void {
    const was = this.#acting;
    this.#epoch++;
    this.#acting = false;
    this.#stopConsumer?.();
    this.#stopConsumer = null;
    this.#wake?.();
    // handles are dropped, not cancelled: the migrations run on in the hypervisor and the next
    // leader re-attaches to them
    this.#active.clear();
    if (was) for (const fn of this.#listeners) fn(false);
  }

  // ---------------------------------------------------------------- inputs

  async #consumeEvents(ep: number): Promise<void> {
    while (ep === this.#epoch) {
      try {
        const jsm = await jetstreamManager(this.#nc);
        try {
          await jsm.consumers.info(STREAM_EVENTS, EVENTS_CONSUMER);
        } catch {
          await jsm.consumers.add(STREAM_EVENTS, {
            durable_name: EVENTS_CONSUMER,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            filter_subject: subjects.allEvents,
            ack_wait: 30_000_000_000,
            max_ack_pending: 20_000,
          });
        }
        const c = await jetstream(this.#nc).consumers.get(STREAM_EVENTS, EVENTS_CONSUMER);
        const acks = new AckPipeline();
        // explicit pull batches: each yields messages as they arrive and ends when full or expired;
        // the next pull starts while the previous one's writes are still landing
        while (ep === this.#epoch) {
          const batch = await c.fetch({ max_messages: FETCH_BATCH, expires: 2_000 });
          this.#stopConsumer = () => batch.stop();
          await this.#drainConsumer(batch[Symbol.asyncIterator](), ep, acks);
        }
      } catch (e) {
        this.#log.warn({ err: String(e) }, "event consumer stopped; restarting");
      }
      if (ep === this.#epoch) await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * Apply messages in memory as they come and cut them into batches (1,000 messages, or whatever
   * arrived before the stream paused). Each batch's state is written in the background while the
   * next batch is applied; its messages are acked only once its writes (and every earlier batch's)
   * have landed, so an unstored event is never acked and comes back to the next consumer or leader.
   * KV writes coalesce per key across batches (last write wins, see store/bucket.ts).
   */
  async #drainConsumer(itr: AsyncIterator<JsMsg>, ep: number, acks: AckPipeline): Promise<void> {
    let pending: JsMsg[] = [];
    let idle: Promise<null> | null = null;
    const commit = () => {
      if (pending.length && ep === this.#epoch) acks.commit(pending, this.#persist(), () => this.#wake?.());
      pending = [];
      idle = null;
    };
    let next = itr.next();
    for (;;) {
      if (acks.failed) throw acks.failed;
      // a message already waiting wins the race against an idle timer that has fired
      const r = idle ? await Promise.race([next, idle]) : await next;
      if (r === null || r.done || pending.length >= INGEST_BATCH) commit();
      // back-pressure: do not run far ahead of what is stored
      if (acks.unacked >= MAX_UNACKED) await acks.settled();
      if (r === null) continue;
      if (r.done || ep !== this.#epoch) return; // unacked ones are redelivered
      this.#ingest(r.value);
      pending.push(r.value);
      idle ??= new Promise<null>((res) => setTimeout(() => res(null), 2));
      next = itr.next();
    }
  }

  /** Apply one event to alerts and host state (memory now, KV before the ack). */
  #ingest(m: JsMsg): void {
    const ev = decodeMessage<SensorEvent>(eventCheck, m.data, m.subject, { log: this.#log, metrics: this.metrics });
    if (!ev) return;
    if (!this.#knownHost(ev.host, m.subject)) return;
    this.metrics.inc("presage_events_total", { severity: ev.severity });
    this.#telemetry.event(ev);
    const store = this.#store as Store;
    const changed = alertsForEvent(this.#alertIndex(ev.host), ev);
    for (const a of changed) {
      const isNew = !store.alerts.has(a.id);
      this.#saveAlert(a);
      if (isNew) this.#publishAlert("alert", a);
    }
    let trigger: Trigger | null = null;
    if (ev.kind === "cleared") trigger = this.#openAgentAlerts(ev.host) === 0 ? Trigger.Cleared : null;
    else if (ev.severity === Severity.Critical) trigger = Trigger.Critical;
    else if (ev.severity === Severity.Warning) trigger = Trigger.Warning;
    if (!trigger) return;
    const rec = store.hosts.get(ev.host);
    if (!rec) return;
    const extra: Partial<HostRecord> =
      trigger === Trigger.Critical ? { eventId: ev.id, predictedFailureAt: ev.predictedFailureAt } : {};
    this.#transition(rec, trigger, ev.reason, ACTOR, extra, false);
  }

  /** An event or heartbeat names a host: it must match its subject and be known to the engine. */
  #knownHost(host: string, subject: string): boolean {
    if (hostOfSubject(subject) !== host) {
      this.metrics.inc("presage_invalid_messages_total", { subject: subject.split(".").slice(0, 3).join(".") });
      this.#log.warn({ subject, host }, "dropped a message whose host differs from its subject");
      return false;
    }
    if (this.#acting && !(this.#store as Store).hosts.has(host)) {
      this.metrics.inc("presage_unknown_host_messages_total", { subject: subject.split(".").slice(0, 3).join(".") });
      this.#log.warn({ subject, host }, "ignored a message about a host the hypervisor does not know");
      return false;
    }
    return true;
  }

  #onHeartbeat(hb: Heartbeat, subject: string): void {
    if (!this.#knownHost(hb.host, subject)) return;
    const now = this.#clock.now();
    this.#telemetry.heartbeat(hb, now);
    if (!this.#acting) return;
    const store = this.#store as Store;
    const rec = store.hosts.get(hb.host);
    if (!rec) return;
    const stale = now - (rec.lastHeartbeat ?? 0) > this.#cfg.heartbeat.lostAfterMs / 2;
    if (stale || rec.lastHealth !== hb.status || rec.lost) {
      store.hosts.set(hb.host, { ...rec, lastHeartbeat: now, lastHealth: hb.status });
      this.#persistSoon();
      if (rec.lost) this.#wake?.();
    }
  }

  #onReadings(b: ReadingBatch, subject: string): void {
    if (this.#knownHost(b.host, subject)) this.#telemetry.readings(b);
  }

  // ---------------------------------------------------------------- the reconcile loop

  async #loop(ep: number): Promise<void> {
    while (ep === this.#epoch) {
      await this.reconcileNow().catch((e) => this.#log.error({ err: e }, "reconcile pass failed; retrying"));
      if (ep !== this.#epoch) break;
      const ac = new AbortController();
      this.#wake = () => ac.abort();
      await this.#clock.sleep(this.#cfg.reconcile.intervalMs, ac.signal).catch(() => {});
      this.#wake = null;
    }
  }

  /** One pass; passes never overlap. */
  reconcileNow(): Promise<void> {
    const ep = this.#epoch;
    this.#tickChain = this.#tickChain.catch(() => {}).then(() => this.#tick(ep));
    return this.#tickChain;
  }

  async #tick(ep: number): Promise<void> {
    if (!this.#acting || ep !== this.#epoch) return;
    await this.#refreshEngine();
    await this.#adoptOrphans(ep);
    await this.#startScheduled();
    const store = this.#store as Store;
    const now = this.#clock.now();
    const { actions, brake } = reconcile({
      now,
      cfg: this.#cfg,
      records: new Map(store.hosts.entries()),
      fleet: this.#fleet(),
      inFlight: this.#inFlight(),
      heartbeats: this.#telemetry.heartbeatInfo(),
      leaderSince: this.#leaderSince,
      plans: [...store.plans.values()],
      hold: this.#retryHold(now),
    });
    this.#brake = brake;
    for (const a of actions) {
      if (ep !== this.#epoch) return;
      await this.#execute(a, ep);
    }
    for (const a of dueEscalations(store.alerts.values(), now, this.#cfg.alerts.escalationIntervalMs)) {
      const next = { ...a, escalations: a.escalations + 1 };
      this.#saveAlert(next);
      this.#publishAlert("escalation", next);
      this.#record({
        action: "alert.escalate",
        host: a.host,
        actor: ACTOR,
        detail: `unacknowledged: ${a.reason}`,
        data: { alert: a.id },
      });
    }
    const every = this.#cfg.rebalance.intervalMs;
    if (every && now - this.#lastRebalance >= every && this.#cfg.policy.mode === PolicyMode.Automatic) {
      this.#lastRebalance = now;
      await this.#rebalance({}, ACTOR).catch((e) => this.#log.warn({ err: String(e) }, "scheduled rebalance failed"));
    }
    await this.#persist();
  }

  /** Durable order: the audit records that explain a change are stored before the change itself. */
  async #persist(): Promise<void> {
    await this.#audit?.drained();
    await (this.#store as Store).flush();
  }

  /** Persist in the background (progress callbacks, heartbeats); failures are retried by the next pass. */
  #persistSoon(): void {
    this.#persist().catch((e) => this.#log.warn({ err: String(e) }, "persisting state failed; the next pass retries"));
  }

  async #execute(a: Action, ep: number): Promise<void> {
    const store = this.#store as Store;
    const now = this.#clock.now();
    switch (a.kind) {
      case "transition": {
        const rec = store.hosts.get(a.host);
        if (rec && canTransition(rec.state, a.trigger)) this.#transition(rec, a.trigger, a.reason, ACTOR, {}, false);
        return;
      }
      case "migrate":
        return this.#startMigration(a.move, a.purpose, ep);
      case "alert": {
        if (store.alerts.has(a.id)) return;
        const alert = controllerAlert(a.id, a.host, a.severity, a.reason, now);
        this.#saveAlert(alert);
        this.#publishAlert("alert", alert);
        this.#record(
          { action: "alert", host: a.host, actor: ACTOR, detail: a.reason, data: { alert: a.id } },
          `alert:${a.id}`,
        );
        return;
      }
      case "lost": {
        const rec = store.hosts.get(a.host);
        if (!rec) return;
        store.hosts.set(a.host, { ...rec, lost: a.lost });
        this.#record({ action: a.lost ? "host.lost" : "host.found", host: a.host, actor: ACTOR, detail: a.reason });
        if (!a.lost)
          for (const al of this.#alertsOf(a.host))
            if (al.id.startsWith(`${CONTROLLER_ALERT_PREFIX}lost-`))
              this.#saveAlert({ ...al, cleared: true, lastEventAt: now });
        return;
      }
      case "propose": {
        const rec = store.hosts.get(a.host);
        const plan: Plan = {
          id: `plan-${a.host}-${now}`,
          kind: "evacuation",
          host: a.host,
          createdAt: now,
          status: "proposed",
          reason: `${a.host} is degraded (${rec?.reason ?? "critical event"}); manual policy: approve to evacuate`,
          moves: a.moves,
          unplaced: a.unplaced,
        };
        store.plans.set(plan.id, plan);
        this.#nc.publish(subjects.alerts, JSON.stringify({ type: "plan", plan } satisfies AlertFeedMessage));
        this.#record({
          action: "plan.proposed",
          host: a.host,
          actor: ACTOR,
          detail: plan.reason,
          data: { plan: plan.id, moves: plan.moves.length },
        });
        return;
      }
      case "plan-status": {
        const p = store.plans.get(a.id);
        if (p && p.status !== a.status) {
          store.plans.set(a.id, { ...p, status: a.status });
          this.#record({ action: "plan.status", host: p.host, actor: ACTOR, detail: `plan ${p.id} is ${a.status}` });
        }
        return;
      }
    }
  }

  /** Change a host's state (or its fields) through the lifecycle table; audited when the state changes. */
  #transition(
    rec: HostRecord,
    trigger: Trigger,
    reason: string,
    actor: string,
    extra: Partial<HostRecord>,
    strict: boolean,
  ): HostRecord {
    let to: HostState;
    try {
      to = nextState(rec.state, trigger, rec.host);
    } catch (e) {
      if (strict) throw e;
      this.#log.warn({ host: rec.host, state: rec.state, trigger }, (e as Error).message);
      return rec;
    }
    const store = this.#store as Store;
    const now = this.#clock.now();
    const moved = to !== rec.state;
    const next: HostRecord = moved ? { ...rec, ...extra, state: to, since: now, reason } : { ...rec, ...extra };
    if (!moved && Object.keys(extra).every((k) => next[k as keyof HostRecord] === rec[k as keyof HostRecord]))
      return rec;
    store.hosts.set(rec.host, next);
    if (moved) {
      this.metrics.inc("presage_transitions_total", { to });
      this.#record(
        {
          action: "transition",
          host: rec.host,
          actor,
          detail: `${rec.host}: ${rec.state} -> ${to} (${reason})`,
          data: { from: rec.state, to, trigger },
        },
        `transition:${rec.host}:${rec.state}:${to}:${rec.since}`,
      );
      this.#wake?.();
    }
    return next;
  }

  // ---------------------------------------------------------------- the engine

  async #refreshEngine(): Promise<void> {
    const [hosts, vms] = await Promise.all([this.#engine.listHosts(), this.#engine.listVms()]);
    const store = this.#store as Store;
    const now = this.#clock.now();
    this.#engineHosts = new Map(hosts.map((h) => [h.name, h]));
    for (const h of hosts) {
      if (store.hosts.has(h.name)) continue;
      store.hosts.set(h.name, {
        host: h.name,
        state: HostState.Healthy,
        since: now,
        reason: "discovered",
        lastHeartbeat: null,
        lost: false,
      });
    }
    const seen = new Set<string>();
    for (const v of vms) {
      seen.add(v.id);
      const rec = store.vms.get(v.id);
      const meta = this.#cfg.vms[v.id];
      if (!rec) {
        store.vms.set(v.id, {
          id: v.id,
          host: v.host,
          home: v.host,
          memoryMiB: v.memoryMiB,
          vcpus: v.vcpus,
          cpuDemand: v.cpuDemand,
          dirtyRateMiBps: v.dirtyRateMiBps,
          antiAffinityGroup: meta?.antiAffinityGroup ?? null,
          priority: meta?.priority ?? 0,
        });
      } else if (rec.host !== v.host || rec.memoryMiB !== v.memoryMiB || rec.vcpus !== v.vcpus) {
        store.vms.set(v.id, { ...rec, host: v.host, memoryMiB: v.memoryMiB, vcpus: v.vcpus });
      }
    }
    for (const [id, rec] of store.vms.entries()) {
      const alertId = `${CONTROLLER_ALERT_PREFIX}vanished-${id}`;
      if (seen.has(id) || store.alerts.has(alertId)) continue;
      const a = controllerAlert(
        alertId,
        rec.host,
        Severity.Critical,
        `VM ${id} is not known to the hypervisor any more (last on ${rec.host})`,
        now,
      );
      this.#saveAlert(a);
      this.#publishAlert("alert", a);
    }
    this.#engineVms = vms;
  }

  #fleet(): FleetView {
    const store = this.#store as Store;
    const hosts: HostView[] = [];
    for (const h of this.#engineHosts.values()) {
      const rec = store.hosts.get(h.name);
      // a host whose agent went silent is no target, whatever its last state
      const state =
        rec?.lost && rec.state === HostState.Healthy ? HostState.Suspect : (rec?.state ?? HostState.Healthy);
      hosts.push({
        name: h.name,
        state,
        cpuCapacity: h.cpuCapacity,
        memoryMiB: h.memoryMiB,
        up: h.up,
        cpuUtilPct: this.#telemetry.lastHeartbeat(h.name)?.cpuUtilPct ?? null,
      });
    }
    const vms: VmRecord[] = this.#engineVms.map((v) => {
      const rec = store.vms.get(v.id);
      return {
        id: v.id,
        host: v.host,
        home: rec?.home ?? v.host,
        memoryMiB: v.memoryMiB,
        vcpus: v.vcpus,
        cpuDemand: v.cpuDemand,
        dirtyRateMiBps: v.dirtyRateMiBps,
        antiAffinityGroup: rec?.antiAffinityGroup ?? null,
        priority: rec?.priority ?? 0,
      };
    });
    return { hosts, vms };
  }

  /** VMs whose latest migration failed less than migration.retryAfterMs ago. */
  #retryHold(now: number): Set<string> {
    const latest = new Map<string, MigrationRecord>();
    for (const m of (this.#store as Store).migrations.values()) {
      const cur = latest.get(m.vm);
      if (!cur || (m.startedAt ?? 0) >= (cur.startedAt ?? 0)) latest.set(m.vm, m);
    }
    const hold = new Set<string>();
    for (const [vm, m] of latest)
      if (m.status === "failed" && now - (m.finishedAt ?? 0) < this.#cfg.migration.retryAfterMs) hold.add(vm);
    return hold;
  }

  #inFlight(): FlightInfo[] {
    const out: FlightInfo[] = [];
    for (const m of (this.#store as Store).migrations.values())
      if (m.status === MigrationStatus.Queued || m.status === MigrationStatus.Running)
        out.push({ vm: m.vm, from: m.from, to: m.to, purpose: m.purpose });
    return out;
  }

  #noteSeq(id: string, vm: string): void {
    const n = Number(id.slice(id.lastIndexOf("-") + 1));
    if (Number.isInteger(n)) this.#migSeq.set(vm, Math.max(this.#migSeq.get(vm) ?? 0, n));
  }

  /**
   * Record the migration durably, then start it. The id is deterministic (purpose, VM, attempt
   * number), so the engine refuses a second start of the same migration after a crash.
   */
  async #startMigration(move: PlanMove, purpose: MigrationPurpose, ep: number): Promise<void> {
    const store = this.#store as Store;
    const n = (this.#migSeq.get(move.vm) ?? 0) + 1;
    this.#migSeq.set(move.vm, n);
    const id = `${purpose}-${move.vm}-${n}`;
    const rec: MigrationRecord = {
      id,
      vm: move.vm,
      from: move.from,
      to: move.to,
      purpose,
      status: MigrationStatus.Queued,
      startedAt: this.#clock.now(),
      finishedAt: null,
      progress: 0,
      bytesTotal: null,
      bytesRemaining: null,
      error: null,
    };
    this.#starting.add(id);
    try {
      await store.migrations.set(id, rec);
      if (ep !== this.#epoch) return;
      this.#record(
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
      await this.#persist();
      if (ep !== this.#epoch) return;
      let handle: MigrationHandle;
      try {
        handle = await this.#engine.migrate(move.vm, move.to, {
          migrationId: id,
          onProgress: (p) => this.#onProgress(id, p),
          ...(this.#cfg.migration.bandwidthBps ? { bandwidthBps: this.#cfg.migration.bandwidthBps } : {}),
          ...(this.#cfg.migration.downtimeLimitMs ? { downtimeLimitMs: this.#cfg.migration.downtimeLimitMs } : {}),
          ...(this.#cfg.migration.deadlineMs ? { deadlineMs: this.#cfg.migration.deadlineMs } : {}),
        });
      } catch (e) {
        this.#finish(ep, id, {
          migrationId: id,
          vm: move.vm,
          from: move.from,
          to: move.to,
          phase: "failed",
          transferredBytes: 0,
          remainingBytes: 0,
          totalBytes: 0,
          error: String((e as Error).message ?? e),
        });
        return;
      }
      this.#track(handle, ep);
    } finally {
      this.#starting.delete(id);
    }
  }

  #track(handle: MigrationHandle, ep: number): void {
    const store = this.#store as Store;
    const id = handle.migrationId;
    this.#active.set(id, handle);
    const rec = store.migrations.get(id);
    if (rec && rec.status === MigrationStatus.Queued)
      store.migrations.set(id, { ...rec, status: MigrationStatus.Running });
    this.#persistSoon();
    void handle.done.then((p) => this.#finish(ep, id, p));
  }

  #onProgress(id: string, p: MigrationProgress): void {
    const rec = this.#store?.migrations.get(id);
    if (!rec || !this.#acting) return;
    const progress = p.totalBytes > 0 ? Math.min(1, p.transferredBytes / p.totalBytes) : rec.progress;
    // progress stays in memory (KV gets the final state); watchers get it live
    Object.assign(rec, { progress, bytesTotal: p.totalBytes, bytesRemaining: p.remainingBytes });
    this.#nc.publish(subjects.migrations, JSON.stringify(rec));
  }

  #finish(ep: number, id: string, p: MigrationProgress): void {
    if (ep !== this.#epoch) return; // a newer leader resolves it from the engine
    this.#active.delete(id);
    const store = this.#store as Store;
    const rec = store.migrations.get(id);
    if (!rec || (rec.status !== MigrationStatus.Queued && rec.status !== MigrationStatus.Running)) return;
    const status =
      p.phase === "completed"
        ? MigrationStatus.Completed
        : p.phase === "cancelled"
          ? MigrationStatus.Cancelled
          : MigrationStatus.Failed;
    const done: MigrationRecord = {
      ...rec,
      status,
      finishedAt: this.#clock.now(),
      progress: status === "completed" ? 1 : rec.progress,
      error: p.error ?? null,
    };
    store.migrations.set(id, done);
    if (status === MigrationStatus.Completed) {
      const vm = store.vms.get(rec.vm);
      // a rebalance changes where a VM belongs; evacuations keep its home for the return
      if (vm) store.vms.set(rec.vm, { ...vm, host: rec.to, home: rec.purpose === "rebalance" ? rec.to : vm.home });
    }
    this.metrics.inc("presage_migrations_total", { purpose: rec.purpose, status });
    this.#nc.publish(subjects.migrations, JSON.stringify(done));
    this.#record(
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
    this.#persistSoon();
    this.#wake?.();
  }

  /**
   * Migrations recorded as queued or running that this replica does not follow (after a crash,
   * a failover or a failed start): re-attach if the engine still runs them, else settle them from
   * where the engine says the VM is. Nothing is started again under the same id.
   */
  async #adoptOrphans(ep: number): Promise<void> {
    const store = this.#store as Store;
    const orphans = [...store.migrations.values()].filter(
      (m) => (m.status === "queued" || m.status === "running") && !this.#active.has(m.id) && !this.#starting.has(m.id),
    );
    if (!orphans.length) return;
    const running = new Set((await this.#engine.activeMigrations()).map((p) => p.migrationId));
    for (const m of orphans) {
      if (ep !== this.#epoch) return;
      if (running.has(m.id)) {
        const h = await this.#engine.attach(m.id, (p) => this.#onProgress(m.id, p));
        if (h) {
          this.#record({
            action: "migration.resume",
            host: m.from,
            vm: m.vm,
            actor: ACTOR,
            detail: `re-attached to ${m.id} after a restart`,
          });
          this.#track(h, ep);
          continue;
        }
      }
      const at = await this.#engine.locate(m.vm);
      const base = {
        migrationId: m.id,
        vm: m.vm,
        from: m.from,
        to: m.to,
        transferredBytes: 0,
        remainingBytes: 0,
        totalBytes: 0,
      };
      if (at === m.to) this.#finish(ep, m.id, { ...base, phase: "completed" });
      else
        this.#finish(ep, m.id, {
          ...base,
          // not a failure of the VM or the target: plan it again at once
          phase: "cancelled",
          error: `interrupted by a controller restart; VM is on ${at ?? "no host"}`,
        });
    }
  }

  // ---------------------------------------------------------------- alerts

  #indexAlerts(): void {
    this.#openAlerts.clear();
    for (const a of (this.#store as Store).alerts.values()) this.#indexAlert(a);
  }

  #indexAlert(a: Alert): void {
    let s = this.#openAlerts.get(a.host);
    if (!s) {
      s = new Set();
      this.#openAlerts.set(a.host, s);
    }
    if (a.cleared) s.delete(a.id);
    else s.add(a.id);
  }

  #alertsOf(host: string): Alert[] {
    const store = this.#store as Store;
    return [...(this.#openAlerts.get(host) ?? [])].map((id) => store.alerts.get(id)).filter((a): a is Alert => !!a);
  }

  /** The lookups alertsForEvent needs, limited to one host's open alerts. */
  #alertIndex(host: string): ReadonlyMap<string, Alert> {
    const store = this.#store as Store;
    const open = new Map(this.#alertsOf(host).map((a) => [a.id, a]));
    return {
      get: (id: string) => store.alerts.get(id),
      has: (id: string) => store.alerts.has(id),
      values: () => open.values(),
    } as unknown as ReadonlyMap<string, Alert>;
  }

  #openAgentAlerts(host: string): number {
    return this.#alertsOf(host).filter((a) => !a.id.startsWith(CONTROLLER_ALERT_PREFIX)).length;
  }

  #saveAlert(a: Alert): void {
    (this.#store as Store).alerts.set(a.id, a);
    this.#indexAlert(a);
  }

  #publishAlert(type: "alert" | "escalation", alert: Alert): void {
    this.#nc.publish(subjects.alerts, JSON.stringify({ type, alert } satisfies AlertFeedMessage));
  }

  #record(r: Omit<AuditRecord, "ts">, dedupeId?: string): void {
    // which replica decided, so a failover reads clearly in the trail
    this.#audit?.record({ ts: this.#clock.now(), ...r, data: { ...r.data, replica: this.name } }, dedupeId);
  }

  // ---------------------------------------------------------------- operator API

  #requireLeader(): Store {
    if (!this.#acting || !this.#store) throw new OpsError(ErrorCode.NotLeader, `${this.name} is not the leader`);
    return this.#store;
  }

  #hostRecord(host: string): HostRecord {
    const rec = this.#requireLeader().hosts.get(host);
    if (!rec) throw new OpsError(ErrorCode.UnknownHost, `no host named ${host}`);
    return rec;
  }

  #summaries(): Map<string, OpsReplies["hosts"]["hosts"][number]> {
    const store = this.#requireLeader();
    const out = new Map<string, OpsReplies["hosts"]["hosts"][number]>();
    const fleet = this.#fleet();
    for (const rec of store.hosts.values()) {
      const h = this.#engineHosts.get(rec.host);
      out.set(rec.host, {
        ...rec,
        vmCount: 0,
        cpuCapacity: h?.cpuCapacity ?? 0,
        cpuUsed: 0,
        memoryCapacityMiB: h?.memoryMiB ?? 0,
        memoryUsedMiB: 0,
        openAlerts: this.#alertsOf(rec.host).length,
      });
    }
    for (const vm of fleet.vms) {
      const s = out.get(vm.host);
      if (!s) continue;
      s.vmCount++;
      s.cpuUsed += vmCpu(vm);
      s.memoryUsedMiB += vm.memoryMiB;
    }
    for (const s of out.values()) s.cpuUsed = Math.round(s.cpuUsed * 100) / 100;
    return out;
  }

  async hosts(req: { state?: string }): Promise<OpsReplies["hosts"]> {
    const all = [...this.#summaries().values()].sort((a, b) => a.host.localeCompare(b.host));
    return { hosts: req.state ? all.filter((h) => h.state === req.state) : all };
  }

  async host(req: { host: string; readings?: number }): Promise<OpsReplies["host"]> {
    this.#hostRecord(req.host);
    const store = this.#requireLeader();
    const summary = this.#summaries().get(req.host) as OpsReplies["hosts"]["hosts"][number];
    const { readings, history } = this.#telemetry.sensorsOf(req.host, req.readings ?? 30);
    return {
      host: summary,
      vms: this.#fleet().vms.filter((v) => v.host === req.host || v.home === req.host),
      alerts: [...store.alerts.values()]
        .filter((a) => a.host === req.host)
        .sort((a, b) => b.lastEventAt - a.lastEventAt),
      health: this.#telemetry.lastHeartbeat(req.host),
      readings,
      history,
      audit: this.#audit?.recent(req.host) ?? [],
    };
  }

  async events(req: {
    host?: string;
    severity?: string;
    unacked?: boolean;
    open?: boolean;
    limit?: number;
  }): Promise<OpsReplies["events"]> {
    const store = this.#requireLeader();
    const limit = req.limit ?? 100;
    const alerts = [...store.alerts.values()]
      .filter(
        (a) =>
          (!req.host || a.host === req.host) &&
          (!req.severity || a.severity === req.severity) &&
          (!req.unacked || !a.ack) &&
          (!req.open || !a.cleared),
      )
      .sort((a, b) => b.lastEventAt - a.lastEventAt)
      .slice(0, limit);
    const events = this.#telemetry
      .events()
      .filter((e) => (!req.host || e.host === req.host) && (!req.severity || e.severity === req.severity))
      .slice(-limit)
      .reverse();
    return { alerts, events };
  }

  async ack(req: { target: string; note?: string }, actor: string): Promise<OpsReplies["ack"]> {
    const store = this.#requireLeader();
    const acked = ackAlerts(
      store.alerts as unknown as ReadonlyMap<string, Alert>,
      req.target,
      actor,
      req.note ?? "",
      this.#clock.now(),
      (h) => store.hosts.has(h),
    );
    for (const a of acked) {
      this.#saveAlert(a);
      this.#record({
        action: "ack",
        host: a.host,
        actor,
        detail: `acknowledged ${a.id}: ${a.reason}${req.note ? ` (${req.note})` : ""}`,
        data: { alert: a.id },
      });
    }
    await this.#persist();
    return { acked };
  }

  async repaired(req: { host: string; note?: string }, actor: string): Promise<OpsReplies["repaired"]> {
    const rec = this.#hostRecord(req.host);
    const now = this.#clock.now();
    const next = this.#transition(
      rec,
      Trigger.Repaired,
      req.note ?? `marked repaired by ${actor}`,
      actor,
      { repairedAt: now, lost: false },
      true,
    );
    // the repair resolves what was open; a condition that persists shows in the heartbeats, which hold the return
    for (const al of this.#alertsOf(req.host))
      if (!al.cleared) this.#saveAlert({ ...al, cleared: true, lastEventAt: now });
    await this.#persist();
    return { host: next };
  }

  async maintenanceEnter(
    req: { hosts: string[]; reason?: string; deadline?: number | null; at?: number | null; dryRun?: boolean },
    actor: string,
  ): Promise<OpsReplies["maintenance-enter"]> {
    const store = this.#requireLeader();
    const recs = [...new Set(req.hosts)].map((h) => this.#hostRecord(h));
    for (const r of recs) nextState(r.state, Trigger.MaintenanceEnter, r.host); // throws if not allowed
    const now = this.#clock.now();
    const scheduled = req.at != null && req.at > now ? req.at : null;
    const bandwidthBps = this.#cfg.migration.bandwidthBps;
    // one call orders the rack under the brake, places every VM and estimates the drain
    const preview = previewMaintenance(
      { hosts: recs.map((r) => r.host), deadline: req.deadline ?? null, at: scheduled },
      {
        fleet: this.#fleet(),
        states: new Map([...store.hosts.entries()].map(([h, r]) => [h, r.state])),
        brake: this.#cfg.brake,
        limits: this.#cfg.concurrency,
        headroom: this.#cfg.headroom,
        now,
        inFlight: this.#inFlight(),
        ...(bandwidthBps ? { bandwidthMiBps: bandwidthBps / 1_048_576 } : {}),
      },
    );
    const { order } = preview;
    const unplacedFrom = new Map(this.#engineVms.map((v) => [v.id, v.host]));
    const reason = req.reason ?? `maintenance requested by ${actor}`;
    // hosts the brake cannot take now wait as approved plans; #startScheduled starts them in turn
    const waiting = scheduled ? [] : order.waiting;
    const status = (host: string): Plan["status"] =>
      req.dryRun ? "proposed" : scheduled || waiting.includes(host) ? "approved" : "executing";
    const plans: Plan[] = order.order.map((host) => ({
      id: `maint-${host}-${now}`,
      kind: "maintenance",
      host,
      createdAt: now,
      status: status(host),
      reason,
      moves: preview.moves.filter((m) => m.from === host),
      unplaced: preview.unplaced.filter((u) => unplacedFrom.get(u.vm) === host),
      startAt: scheduled ?? (waiting.includes(host) ? now : null),
      details: preview.lines,
    }));
    if (req.dryRun) return { hosts: recs, plans, scheduledAt: scheduled, waiting: order.waiting };
    const brakeNote = `safety brake: ${order.inRemediation} of at most ${order.limit} hosts in remediation`;
    // a request of which nothing can start now is refused (retry later) rather than queued unseen
    if (!scheduled && order.admitNow.length === 0)
      throw new OpsError(ErrorCode.BrakeEngaged, `${brakeNote}; none of ${order.order.join(", ")} can enter now`);
    for (const p of plans) {
      store.plans.set(p.id, p);
      const host = p.host as string;
      const queued = waiting.indexOf(host);
      this.#record({
        action: scheduled ? "maintenance.scheduled" : queued >= 0 ? "maintenance.waiting" : "maintenance.enter",
        host,
        actor,
        detail: `${reason}: ${p.moves.length} VM(s) to move${
          scheduled
            ? ` at ${new Date(scheduled).toISOString()}`
            : queued >= 0
              ? `; waits for the brake (${brakeNote}), number ${queued + 1} of ${waiting.length} in line`
              : ""
        }`,
        data: { plan: p.id },
      });
    }
    const byHost = new Map(recs.map((r) => [r.host, r]));
    const hosts = order.order.map((h) => {
      const r = byHost.get(h) as HostRecord;
      return scheduled || waiting.includes(h) ? r : this.#enterMaintenance(r, reason, req.deadline ?? null, actor);
    });
    await this.#persist();
    this.#wake?.();
    return { hosts, plans, scheduledAt: scheduled, waiting };
  }

  #enterMaintenance(r: HostRecord, reason: string, deadline: number | null, actor: string): HostRecord {
    return this.#transition(
      r,
      Trigger.MaintenanceEnter,
      reason,
      actor,
      { maintenance: { reason, deadline, by: actor }, predictedFailureAt: deadline },
      true,
    );
  }

  /** Start scheduled maintenance plans whose time has come (subject to the brake like any other). */
  async #startScheduled(): Promise<void> {
    const store = this.#store as Store;
    const now = this.#clock.now();
    for (const p of store.plans.values()) {
      if (p.kind !== "maintenance" || p.status !== "approved" || !p.host || (p.startAt ?? 0) > now) continue;
      const rec = store.hosts.get(p.host);
      if (!rec || !canTransition(rec.state, Trigger.MaintenanceEnter)) {
        void store.plans.set(p.id, {
          ...p,
          status: "failed",
          reason: `${p.reason}; ${p.host} was ${rec?.state ?? "unknown"} at the start time`,
        });
        continue;
      }
      const states = new Map([...store.hosts.entries()].map(([h, r]) => [h, r.state]));
      if (applyBrake(this.#cfg.brake, states, [p.host]).admit.length === 0) continue; // waits for the brake
      this.#enterMaintenance(rec, p.reason, null, ACTOR);
      store.plans.set(p.id, { ...p, status: "executing" });
    }
  }

  async maintenanceExit(
    req: { hosts: string[]; note?: string },
    actor: string,
  ): Promise<OpsReplies["maintenance-exit"]> {
    const recs = req.hosts.map((h) => this.#hostRecord(h));
    for (const r of recs) nextState(r.state, Trigger.MaintenanceExit, r.host);
    const now = this.#clock.now();
    const hosts = recs.map((r) =>
      this.#transition(
        r,
        Trigger.MaintenanceExit,
        req.note ?? `maintenance ended by ${actor}`,
        actor,
        { maintenance: null, repairedAt: now, predictedFailureAt: null },
        true,
      ),
    );
    await this.#persist();
    this.#wake?.();
    return { hosts };
  }

  async migrations(req: { active?: boolean; host?: string; limit?: number }): Promise<OpsReplies["migrations"]> {
    const store = this.#requireLeader();
    const list = [...store.migrations.values()]
      .filter(
        (m) =>
          (!req.active || m.status === "queued" || m.status === "running") &&
          (!req.host || m.from === req.host || m.to === req.host),
      )
      .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.id.localeCompare(a.id))
      .slice(0, req.limit ?? 200);
    return { migrations: list };
  }

  async plans(_req: Record<string, unknown>): Promise<OpsReplies["plans"]> {
    const store = this.#requireLeader();
    return { plans: [...store.plans.values()].sort((a, b) => b.createdAt - a.createdAt) };
  }

  #plan(id: string): Plan {
    const p = this.#requireLeader().plans.get(id);
    if (!p) throw new OpsError(ErrorCode.UnknownPlan, `no plan ${id}`);
    if (p.status !== "proposed") throw new OpsError(ErrorCode.Conflict, `plan ${id} is ${p.status}, not proposed`);
    return p;
  }

  async planApprove(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-approve"]> {
    const store = this.#requireLeader();
    const plan: Plan = { ...this.#plan(req.id), status: "approved" };
    store.plans.set(plan.id, plan);
    this.#record({
      action: "plan.approve",
      host: plan.host,
      actor,
      detail: `approved ${plan.id}${req.note ? `: ${req.note}` : ""}`,
    });
    await this.#persist();
    this.#wake?.();
    return { plan };
  }

  async planReject(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-reject"]> {
    const store = this.#requireLeader();
    const plan: Plan = { ...this.#plan(req.id), status: "rejected" };
    store.plans.set(plan.id, plan);
    this.#record({
      action: "plan.reject",
      host: plan.host,
      actor,
      detail: `rejected ${plan.id}${req.note ? `: ${req.note}` : ""}`,
    });
    const rec = plan.host ? store.hosts.get(plan.host) : undefined;
    if (rec?.state === HostState.Degraded)
      this.#transition(rec, Trigger.PlanRejected, `evacuation plan rejected by ${actor}`, actor, {}, false);
    await this.#persist();
    return { plan };
  }

  async rebalance(
    req: { dryRun?: boolean; aggressiveness?: number; maxMoves?: number },
    actor: string,
  ): Promise<OpsReplies["rebalance"]> {
    this.#requireLeader();
    return this.#rebalance(req, actor);
  }

  async #rebalance(
    req: { dryRun?: boolean; aggressiveness?: number; maxMoves?: number },
    actor: string,
  ): Promise<OpsReplies["rebalance"]> {
    const store = this.#requireLeader();
    const now = this.#clock.now();
    const inFlight = this.#inFlight();
    const fleet = this.#fleet();
    // per VM: when it last moved and the host it last left (cool-down and the A->B->A rule)
    const lastMoved = new Map<string, number>();
    const lastFrom = new Map<string, string>();
    for (const m of store.migrations.values()) {
      const t = m.finishedAt ?? m.startedAt ?? 0;
      if (t < (lastMoved.get(m.vm) ?? 0)) continue;
      lastMoved.set(m.vm, t);
      lastFrom.set(m.vm, m.from);
    }
    const bandwidthBps = this.#cfg.migration.bandwidthBps;
    const res = planRebalance(fleet, {
      aggressiveness: (req.aggressiveness ?? this.#cfg.rebalance.aggressiveness) as Aggressiveness,
      maxMoves: req.maxMoves ?? this.#cfg.rebalance.maxMoves,
      headroom: this.#cfg.headroom,
      now,
      cooldownMs: this.#cfg.rebalance.cooldownMs,
      lastMoved,
      lastFrom,
      evacuationsRunning: evacuationWorkInFlight(fleet, [...store.hosts.values()], inFlight),
      ...(bandwidthBps ? { bandwidthMiBps: bandwidthBps / 1_048_576 } : {}),
      busy: new Set(inFlight.map((f) => f.vm)),
    });
    const apply = !req.dryRun && res.moves.length > 0;
    const plan: Plan = {
      id: `rebalance-${now}`,
      kind: "rebalance",
      host: null,
      createdAt: now,
      status: req.dryRun ? "proposed" : apply ? "executing" : "done",
      reason: res.reason,
      moves: res.moves,
      unplaced: res.skipped,
      imbalanceBefore: res.imbalanceBefore,
      imbalanceAfter: res.imbalanceAfter,
    };
    if (!req.dryRun) {
      store.plans.set(plan.id, plan);
      this.#record({
        action: "rebalance",
        actor,
        detail: `${res.reason} (${res.moves.length} move(s))`,
        data: { plan: plan.id, before: res.imbalanceBefore, after: res.imbalanceAfter },
      });
      // the balancer plans small moves; what the limits do not allow now is planned again later
      for (const mv of startable(res.moves, inFlight, this.#cfg.concurrency))
        await this.#startMigration(mv, "rebalance", this.#epoch);
      await this.#persist();
    }
    return { plan, applied: apply };
  }

  async status(_req: Record<string, unknown>): Promise<OpsReplies["status"]> {
    const hostsByState: Record<string, number> = {};
    let vms = 0;
    if (this.#acting && this.#store) {
      for (const h of this.#store.hosts.values()) hostsByState[h.state] = (hostsByState[h.state] ?? 0) + 1;
      vms = this.#engineVms.length;
    }
    return {
      controller: this.name,
      leader: this.#acting,
      mode: this.#cfg.policy.mode,
      hostsByState,
      vms,
      activeMigrations: this.#acting ? this.#inFlight().length : 0,
      brake: this.#brake,
    };
  }
}
