import { describe, expect, it } from "vitest";
import { AckPipeline } from "../../src/ack-pipeline.js";

const msgs = (name: string, n: number, acked: string[]) =>
  Array.from({ length: n }, (_, i) => ({ ack: () => acked.push(`${name}${i}`) }));
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("ack pipeline", () => {
  it("ack pipeline - batches are acked in order, each only after its own writes and all earlier ones landed", async () => {
    const acked: string[] = [];
    const p = new AckPipeline();
    const w1 = deferred();
    const w2 = deferred();
    p.commit(msgs("a", 2, acked), w1.promise);
    p.commit(msgs("b", 1, acked), w2.promise);
    expect(p.unacked).toBe(3);
    w2.resolve(); // the later batch's writes land first: it still waits for the earlier batch
    await new Promise((r) => setTimeout(r, 10));
    expect(acked).toEqual([]);
    w1.resolve();
    await p.below(1);
    expect(acked).toEqual(["a0", "a1", "b0"]);
    expect(p.unacked).toBe(0);
  });

  it("ack pipeline - a failed write leaves its batch and every later batch unacked, and says so", async () => {
    const acked: string[] = [];
    const p = new AckPipeline();
    const w1 = deferred();
    p.commit(msgs("a", 1, acked), Promise.resolve());
    p.commit(msgs("b", 2, acked), w1.promise);
    p.commit(msgs("c", 1, acked), Promise.resolve());
    w1.reject(new Error("KV write timed out"));
    await expect(p.below(1)).rejects.toThrow("KV write timed out");
    expect(acked).toEqual(["a0"]);
    expect(p.failed?.message).toBe("KV write timed out");
    expect(p.unacked).toBe(3);
  });

  it("ack pipeline - below() waits for the oldest batches only, not for the whole pipeline", async () => {
    const acked: string[] = [];
    const p = new AckPipeline();
    const w1 = deferred();
    const w2 = deferred();
    p.commit(msgs("a", 2, acked), w1.promise);
    p.commit(msgs("b", 2, acked), w2.promise);
    let through = false;
    const waiting = p.below(3).then(() => {
      through = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(through).toBe(false); // 4 unacked
    w1.resolve();
    await waiting; // the oldest batch is acked: 2 left, below the limit, while b still writes
    expect(acked).toEqual(["a0", "a1"]);
    expect(p.unacked).toBe(2);
    await p.below(3); // already below: no wait
    w2.resolve();
    await p.below(1);
    expect(p.unacked).toBe(0);
  });

  it("ack pipeline - below() rejects when a batch it waits for fails", async () => {
    const p = new AckPipeline();
    const w1 = deferred();
    p.commit(msgs("a", 2, []), w1.promise);
    const waiting = p.below(1);
    w1.reject(new Error("KV write conflict"));
    await expect(waiting).rejects.toThrow("KV write conflict");
  });
});
