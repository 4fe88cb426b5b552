/**
 * The reconcile loop of one leader term: observe one snapshot, reconcile it (pure), apply the
 * actions through the applier, persist, then sleep on the controller's clock until the interval
 * elapses or something wakes it (a transition, a finished migration, a stored batch of events).
 * Passes never overlap.
 */

/**
 * The loop's wake-ups. One that comes while a pass runs (a batch of events stored meanwhile) is kept and skips
 * the next sleep, like a requeue: it is never lost to wait out a whole interval.
 */
export class Waker {
  #pending = false;
  #abort: AbortController | null = null;

  readonly wake = (): void => {
    if (this.#abort) this.#abort.abort();
    else this.#pending = true;
  };

  /** Sleep `ms` of the clock's time, or not at all when woken since the last sleep. */
  async sleep(clock: Clock, ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    const ac = new AbortController();
    this.#abort = ac;
    await clock.sleep(ms, ac.signal).catch(() => {});
    this.#abort = null;
  }
}

import type { Clock } from "@presage/shared";
import { reconcile } from "../reconcile.js";
import { applyActions } from "./applier.js";
import type { LeaderContext } from "./context.js";
import { observe } from "./observe.js";

export class ReconcileLoop {
  #chain: Promise<void> = Promise.resolve();

  constructor(readonly ctx: LeaderContext) {}

  async run(): Promise<void> {
    const { ctx } = this;
    const waker = new Waker();
    ctx.wake = waker.wake;
    while (ctx.live()) {
      await this.pass().catch((e) => ctx.deps.log.error({ err: e }, "reconcile pass failed; retrying"));
      if (!ctx.live()) break;
      await waker.sleep(ctx.deps.clock, ctx.cfg.reconcile.intervalMs);
    }
  }

  /** Run one pass after any pass in progress. */
  pass(): Promise<void> {
    this.#chain = this.#chain.catch(() => {}).then(() => this.#tick());
    return this.#chain;
  }

  async #tick(): Promise<void> {
    const { ctx } = this;
    if (!ctx.live()) return;
    const started = performance.now();
    const snap = await observe(ctx);
    if (!snap) return;
    const { actions, brake } = reconcile(snap);
    ctx.brake = brake;
    await applyActions(ctx, actions);
    await ctx.persist();
    ctx.deps.metrics.observe("presage_reconcile_duration_seconds", (performance.now() - started) / 1_000);
  }
}
