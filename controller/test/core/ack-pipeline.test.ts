import { describe, expect, it } from "vitest";
import { type Ackable, AckPipeline } from "../../src/ack-pipeline.js";

/** Messages with these stream sequences; an ack records its sequence (a cumulative ack of everything up to it). */
const msgs = (seqs: number[], acked: number[]): Ackable[] => seqs.map((seq) => ({ seq, ack: () => acked.push(seq) }));
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setTimeout(r, 10));

/** Deliver the batches to the pipeline in order; returns them. */
function deliver(p: AckPipeline, ...batches: Ackable[][]): Ackable[][] {
  for (const b of batches) for (const m of b) p.delivered(m);
  return batches;
}

describe("ack pipeline", () => {
  it("ack pipeline - batches are acked in order, each only after its own writes and all earlier ones landed", async () => {
    const acked: number[] = [];
    const p = new AckPipeline();
    const [a, b] = deliver(p, msgs([1, 2], acked), msgs([3], acked));
    const w1 = deferred();
    const w2 = deferred();
    p.commit(a as Ackable[], w1.promise);
    p.commit(b as Ackable[], w2.promise);
    expect(p.unacked).toBe(3);
    w2.resolve(); // the later batch's writes land first: it still waits for the earlier batch
    await tick();
    expect(acked).toEqual([]);
    w1.resolve();
    await p.settled();
    // one cumulative ack per batch, at its highest sequence
    expect(acked).toEqual([2, 3]);
    expect(p.unacked).toBe(0);
  });

  it("ack pipeline - a failed write leaves its batch and every later batch unacked, and says so", async () => {
    const acked: number[] = [];
    const p = new AckPipeline();
    const [a, b, c] = deliver(p, msgs([1], acked), msgs([2, 3], acked), msgs([4], acked));
    const w1 = deferred();
    p.commit(a as Ackable[], Promise.resolve());
    p.commit(b as Ackable[], w1.promise);
    p.commit(c as Ackable[], Promise.resolve());
    w1.reject(new Error("KV write timed out"));
    await expect(p.settled()).rejects.toThrow("KV write timed out");
    expect(acked).toEqual([1]);
    expect(p.failed?.message).toBe("KV write timed out");
    expect(p.unacked).toBe(3);
  });

  it("ack pipeline - a redelivered (late) message still unstored holds back every ack at or above its sequence", async () => {
    const acked: number[] = [];
    const p = new AckPipeline();
    // 5 comes again after 10 (its first copy's ack was lost); 12 is delivered, not yet committed
    const [a, b, c] = deliver(p, msgs([4, 5, 6, 10], acked), msgs([5, 11], acked), msgs([12], acked));
    const w2 = deferred();
    p.commit(a as Ackable[], Promise.resolve());
    p.commit(b as Ackable[], w2.promise);
    await tick();
    // only 4 is below the late copy of 5: acking 10 would ack the unstored 5 too
    expect(acked).toEqual([4]);
    w2.resolve();
    await p.settled();
    expect(acked).toEqual([4, 11]);
    p.commit(c as Ackable[], Promise.resolve());
    await p.settled();
    expect(acked).toEqual([4, 11, 12]);
  });

  it("ack pipeline - never acks a sequence above one still unstored, whatever the delivery order", async () => {
    // random deliveries with redeliveries; each ack S must come after every delivered copy at or below S is stored
    for (let run = 0; run < 200; run++) {
      let x = run + 1;
      const rnd = () => {
        x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
        return x / 2 ** 31;
      };
      const p = new AckPipeline();
      const stored = new Set<Ackable>();
      const all: Ackable[] = [];
      const violations: string[] = [];
      const ack = (seq: number) => {
        for (const m of all) if (m.seq <= seq && !stored.has(m)) violations.push(`ack ${seq} before ${m.seq} stored`);
      };
      let next = 1;
      const batches: Ackable[][] = [];
      for (let b = 0; b < 6; b++) {
        const batch: Ackable[] = [];
        for (let k = 0; k < 1 + Math.floor(rnd() * 5); k++) {
          const seq = rnd() < 0.2 && next > 2 ? 1 + Math.floor(rnd() * (next - 1)) : next++;
          const m: Ackable = { seq, ack: () => ack(seq) };
          all.push(m);
          p.delivered(m);
          batch.push(m);
        }
        batches.push(batch);
      }
      for (const batch of batches) {
        const w = deferred();
        p.commit(batch, w.promise);
        for (const m of batch) stored.add(m);
        w.resolve();
        await p.settled();
      }
      expect(violations).toEqual([]);
    }
  });
});
