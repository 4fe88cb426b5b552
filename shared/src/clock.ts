/**
 * Injected time. Detection, lifecycle and planning read time only through a Clock, so replay is
 * deterministic, tests advance time by hand and the demo runs faster than real time.
 */
export interface Clock {
  now(): number;
  /** resolves after ms of this clock's time; rejects with the signal's reason when aborted */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock wait (polling a process or socket), rejected with the signal's reason on abort. */
export function sleep(realMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, realMs);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(Math.max(0, ms), signal),
};

/**
 * Time that runs `speed` times faster than the wall clock: `start` at wall time `realStart`.
 * Processes given the same (speed, start, realStart) share one simulated timeline.
 */
export function scaledClock(speed: number, start = Date.now(), realStart = Date.now()): Clock {
  return {
    now: () => Math.round(start + (Date.now() - realStart) * speed),
    sleep: (ms, signal) => sleep(Math.max(0, ms / speed), signal),
  };
}

/** A clock that moves only when told to; sleeps resolve in time order as it advances. */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; resolve: () => void }[] = [];
  constructor(start = 0) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = { at: this.#now + Math.max(0, ms), resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  /** Move time forward, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      this.#now = next.at;
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.#now = end;
  }
}
