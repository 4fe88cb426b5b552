/**
 * The leader context: what one term of leadership acts on, built by the manager once the store is
 * loaded, so no component needs a "store may be null" cast. A term ends when the manager gains or
 * loses leadership again (`live()` turns false); work started in an old term then stops.
 */
import {
  type AuditRecord,
  type Clock,
  type HostRecord,
  HostState,
  type Logger,
  type Metrics,
  type NatsConnection,
} from "@presage/shared";
import type { AuditLog } from "../audit.js";
import { BRAKE_IDLE, type BrakeStatus } from "../brake.js";
import type { ControllerConfig } from "../config.js";
import { nextState, Trigger } from "../lifecycle.js";
import type { EngineHost, EngineVm, MigrationEngine } from "../migration/engine.js";
import type { RebalanceIntent } from "../reconcile/rebalance.js";
import type { Store } from "../store/index.js";
import type { Telemetry } from "../telemetry.js";
import { AlertBook } from "./alert-book.js";
import { MigrationBook } from "./migrations.js";

/** The audit actor of the controller's own decisions. */
export const ACTOR = "controller";

/** What lives as long as the replica, whether it leads or not. */
export type ReplicaDeps = {
  name: string;
  nc: NatsConnection;
  engine: MigrationEngine;
  cfg: ControllerConfig;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  telemetry: Telemetry;
  audit: AuditLog;
};

export class LeaderContext {
  readonly alerts: AlertBook;
  readonly migrations: MigrationBook;
  /** the engine's hosts and VMs as last observed */
  engineHosts = new Map<string, EngineHost>();
  engineVms: EngineVm[] = [];
  brake: BrakeStatus = BRAKE_IDLE;
  lastRebalance = 0;
  /** operator rebalances recorded by the ops handlers, for the next reconcile pass to start */
  rebalanceIntents: RebalanceIntent[] = [];
  /** set by the loop: run the next pass now */
  wake: () => void = () => {};

  constructor(
    readonly deps: ReplicaDeps,
    readonly store: Store,
    /** true while this term lasts */
    readonly live: () => boolean,
    /** when this replica became leader: silence before that is not the agent's fault */
    readonly leaderSince: number,
  ) {
    this.alerts = new AlertBook(store.alerts, deps.nc, {
      maxPerHost: deps.cfg.alerts.maxPerHost,
      metrics: deps.metrics,
      log: deps.log,
    });
    this.migrations = new MigrationBook(this);
  }

  get cfg(): ControllerConfig {
    return this.deps.cfg;
  }

  now(): number {
    return this.deps.clock.now();
  }

  record(r: Omit<AuditRecord, "ts">, dedupeId?: string): void {
    // which replica decided, so a failover reads clearly in the trail
    this.deps.audit.record({ ts: this.now(), ...r, data: { ...r.data, replica: this.deps.name } }, dedupeId);
  }

  /** Durable order: the audit records that explain a change are stored before the change itself. */
  async persist(): Promise<void> {
    await this.deps.audit.drained();
    await this.store.flush();
  }

  /** Persist in the background (progress callbacks, heartbeats); failures are retried by the next pass. */
  persistSoon(): void {
    this.persist().catch((e) =>
      this.deps.log.warn({ err: String(e) }, "persisting state failed; the next pass retries"),
    );
  }

  /**
   * Change a host's state (or its fields) through the lifecycle table; audited when the state
   * changes. `strict` rethrows a forbidden transition (operator requests); else it is logged.
   */
  transition(
    rec: HostRecord,
    trigger: Trigger,
    reason: string,
    actor: string,
    extra: Partial<HostRecord> = {},
    strict = false,
  ): HostRecord {
    let to: HostState;
    try {
      to = nextState(rec.state, trigger, rec.host);
    } catch (e) {
      if (strict) throw e;
      this.deps.log.warn({ host: rec.host, state: rec.state, trigger }, (e as Error).message);
      return rec;
    }
    const moved = to !== rec.state;
    const next: HostRecord = moved ? { ...rec, ...extra, state: to, since: this.now(), reason } : { ...rec, ...extra };
    if (!moved && Object.keys(extra).every((k) => next[k as keyof HostRecord] === rec[k as keyof HostRecord]))
      return rec;
    this.store.hosts.set(rec.host, next);
    if (moved) {
      this.deps.metrics.inc("presage_transitions_total", { to });
      // the id names the decision: re-taken after a crash (the event came again, so `since` is new)
      // it is the same, and JetStream drops the repeat; a degraded episode is named by its event
      const episode = rec.state === HostState.Degraded && rec.eventId ? rec.eventId : rec.since;
      this.record(
        {
          action: "transition",
          host: rec.host,
          actor,
          detail: `${rec.host}: ${rec.state} -> ${to} (${reason})`,
          data: { from: rec.state, to, trigger },
        },
        `transition:${rec.host}:${rec.state}:${to}:${episode}`,
      );
      this.wake();
    }
    return next;
  }

  /** Put a host into maintenance (operator request or a scheduled plan whose time came). */
  enterMaintenance(r: HostRecord, reason: string, deadline: number | null, actor: string): HostRecord {
    return this.transition(
      r,
      Trigger.MaintenanceEnter,
      reason,
      actor,
      { maintenance: { reason, deadline, by: actor }, predictedFailureAt: deadline },
      true,
    );
  }
}
