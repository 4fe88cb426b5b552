/**
 * The reconcile loop of one leader term: observe one snapshot, reconcile it (pure), apply the
 * actions through the applier, persist, then sleep on the controller's clock until the interval
 * elapses or something wakes it (a transition, a finished migration, a stored batch of events).
 * Passes never overlap.
 */
import { reconcile } from "../reconcile.js";
import { applyActions } from "./applier.js";
import type { LeaderContext } from "./context.js";
import { observe } from "./observe.js";

export class ReconcileLoop {
  #chain: Promise<void> = Promise.resolve();

  constructor(readonly ctx: LeaderContext) {}

  async run(): Promise<void> {
    const { ctx } = this;
    while (ctx.live()) {
      await this.pass().catch((e) => ctx.deps.log.error({ err: e }, "reconcile pass failed; retrying"));
      if (!ctx.live()) break;
      const ac = new AbortController();
      ctx.wake = () => ac.abort();
      await ctx.deps.clock.sleep(ctx.cfg.reconcile.intervalMs, ac.signal).catch(() => {});
      ctx.wake = () => {};
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
