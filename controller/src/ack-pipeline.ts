/**
 * Acks consumed messages only after the state they changed is stored, without stopping the
 * consumer while the store writes: `new AckPipeline()`, then `commit(batch, persist())` per batch,
 * and `below(limit)` for back-pressure.
 *
 * Batches are acked strictly in order. If one batch's writes fail, neither it nor any later batch
 * is acked (JetStream redelivers them all), and `failed` is set so the consumer restarts instead of
 * running ahead of what is stored.
 */
export type Ackable = { ack(): void };

export class AckPipeline {
  #chain: Promise<void> = Promise.resolve();
  /** each committed batch's ack, oldest first, until it settles */
  readonly #inflight: Promise<void>[] = [];
  #unacked = 0;
  failed: Error | null = null;

  /** messages committed but not yet acked (for back-pressure) */
  get unacked(): number {
    return this.#unacked;
  }

  /** Ack `batch` once `written` and every earlier batch have succeeded. */
  commit(batch: readonly Ackable[], written: Promise<void>, onAcked?: () => void): void {
    this.#unacked += batch.length;
    // an earlier failure rejects the chain, so no later batch is acked
    this.#chain = Promise.all([this.#chain, written]).then(
      () => {
        for (const m of batch) m.ack();
        this.#unacked -= batch.length;
        onAcked?.();
      },
      (e: unknown) => {
        this.failed ??= e instanceof Error ? e : new Error(String(e));
        throw this.failed;
      },
    );
    this.#chain.catch(() => {}); // the failure is reported through `failed`
    this.#inflight.push(this.#chain);
    const done = () => {
      this.#inflight.shift();
    };
    this.#chain.then(done, done);
  }

  /**
   * Resolves once fewer than `limit` messages are unacked, oldest batches first, so the consumer
   * keeps going while the rest of the pipeline writes (waiting for all of it would empty the
   * pipeline on every stall); rejects if a batch failed.
   */
  async below(limit: number): Promise<void> {
    while (this.#unacked >= limit && this.#inflight.length > 0) await this.#inflight[0];
    if (this.failed) throw this.failed;
  }
}
