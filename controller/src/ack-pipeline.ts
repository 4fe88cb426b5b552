/**
 * Acks consumed messages only after the state they changed is stored, without stopping the
 * consumer while the store writes: `new AckPipeline()`, then `commit(batch, persist())` per batch.
 *
 * Batches are acked strictly in order. If one batch's writes fail, neither it nor any later batch
 * is acked (JetStream redelivers them all), and `failed` is set so the consumer restarts instead of
 * running ahead of what is stored.
 */
export type Ackable = { ack(): void };

export class AckPipeline {
  #chain: Promise<void> = Promise.resolve();
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
  }

  /** Resolves when every committed batch is acked; rejects if one failed. */
  settled(): Promise<void> {
    return this.#chain;
  }
}
