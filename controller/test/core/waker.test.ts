import { ManualClock } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { Waker } from "../../src/runtime/loop.js";

/** Resolves to true once `p` settles, false while it is still pending after the microtasks and one macrotask. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("reconcile loop wake-ups", () => {
  it("waker - a wake while sleeping ends the sleep at once", async () => {
    const clock = new ManualClock();
    const w = new Waker();
    const nap = w.sleep(clock, 2_000);
    expect(await settled(nap)).toBe(false);
    w.wake();
    expect(await settled(nap)).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it("waker - a wake between sleeps (during a pass) is kept: the next sleep is skipped, the one after is whole", async () => {
    const clock = new ManualClock();
    const w = new Waker();
    w.wake();
    w.wake();
    expect(await settled(w.sleep(clock, 2_000))).toBe(true);
    const next = w.sleep(clock, 2_000);
    expect(await settled(next)).toBe(false);
    await clock.advance(1_999);
    expect(await settled(next)).toBe(false);
    await clock.advance(1);
    expect(await settled(next)).toBe(true);
  });
});
