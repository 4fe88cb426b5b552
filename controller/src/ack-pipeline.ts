/**
 * Acks consumed messages only after the state they changed is stored, without stopping the
 * consumer while the store writes: `new AckPipeline()`, `delivered(m)` for each message as it
 * arrives, then `commit(batch, persist())` per batch.
 *
 * The consumer acks cumulatively (AckPolicy.All): one ack of stream sequence S acks every message
 * at or below S, so a batch of a thousand costs one ack, not a thousand. That is safe only while no
 * message at or below S is still unstored, and JetStream delivers in stream order except for
 * redeliveries. So the pipeline remembers the messages that arrived out of order ("late") until
 * their batch is stored, and acks each batch at its highest sequence below every late message still
 * in flight; what lies above waits for a later batch's ack.
 *
 * Batches are acked strictly in order. If one batch's writes fail, neither it nor any later batch
 * is acked (JetStream redelivers them all), and `failed` is set so the consumer restarts instead of
 * running ahead of what is stored.
 */
export type Ackable = { ack(): void; readonly seq: number };

export class AckPipeline {
  #chain: Promise<void> = Promise.resolve();
  #unacked = 0;
  /** highest stream sequence delivered so far */
  #maxSeen = 0;
  /** stream sequences delivered out of order and not yet stored, with how many copies are in flight */
  readonly #late = new Map<number, number>();
  readonly #lateMsgs = new WeakSet<Ackable>();
  /** highest sequence acked so far (acks below it would be no-ops) */
  #ackedTo = 0;
  failed: Error | null = null;

  /** messages committed but not yet stored (for back-pressure) */
  get unacked(): number {
    return this.#unacked;
  }

  /** Note a message as it arrives, before it is applied. */
  delivered(m: Ackable): void {
    if (m.seq > this.#maxSeen) {
      this.#maxSeen = m.seq;
      return;
    }
    this.#late.set(m.seq, (this.#late.get(m.seq) ?? 0) + 1);
    this.#lateMsgs.add(m);
  }

  /** Ack `batch` once `written` and every earlier batch have succeeded. */
  commit(batch: readonly Ackable[], written: Promise<void>, onAcked?: () => void): void {
    this.#unacked += batch.length;
    // an earlier failure rejects the chain, so no later batch is acked
    this.#chain = Promise.all([this.#chain, written]).then(
      () => {
        this.#stored(batch);
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

  /** The batch is stored: ack the highest message of it below every late message still unstored. */
  #stored(batch: readonly Ackable[]): void {
    for (const m of batch) {
      if (!this.#lateMsgs.has(m)) continue;
      const n = (this.#late.get(m.seq) ?? 1) - 1;
      if (n > 0) this.#late.set(m.seq, n);
      else this.#late.delete(m.seq);
    }
    let floor = Number.POSITIVE_INFINITY;
    for (const s of this.#late.keys()) floor = Math.min(floor, s);
    let top: Ackable | null = null;
    for (const m of batch) if (m.seq < floor && m.seq > (top?.seq ?? this.#ackedTo)) top = m;
    if (!top) return;
    top.ack();
    this.#ackedTo = top.seq;
  }

  /** Resolves when every committed batch is acked; rejects if one failed. */
  settled(): Promise<void> {
    return this.#chain;
  }
}
