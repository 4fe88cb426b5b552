/**
 * One loop per source: poll, hand the readings over, sleep, repeat. A poll is awaited before the
 * next is scheduled, so polls of one source never overlap or pile up behind a hung BMC. Each poll
 * has a wall-clock limit (tool time is real time even when the agent's clock is scaled). A failing
 * source backs off exponentially up to maxBackoffMs; after `failureThreshold` failures in a row it
 * raises one `warning` event with component `sensor` (never critical: a silent BMC is not a failing
 * server), and a `cleared` event when it answers again.
 */
import type { Clock, Logger, Metrics, Reading, SensorEvent } from "@presage/shared";
import type { SensorSource } from "./sources/source.js";

export type PollerOptions = {
  intervalMs: number;
  /** wall-clock limit for one poll, ms */
  timeoutMs: number;
  failureThreshold: number;
  maxBackoffMs: number;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  onReadings(source: SensorSource, readings: Reading[]): void;
  onEvent(e: SensorEvent): void;
};

export type PollerState = { failures: number; lastError: string | null; lastDurationMs: number | null; polls: number };

export class PollTimeoutError extends Error {
  constructor(source: string, ms: number) {
    super(`${source} did not answer within ${ms} ms`);
    this.name = "PollTimeoutError";
  }
}

/** Delay before the next poll: the interval when healthy, doubling per failure up to the cap. */
export function nextDelayMs(failures: number, intervalMs: number, maxBackoffMs: number): number {
  if (failures === 0) return intervalMs;
  return Math.min(Math.max(intervalMs, maxBackoffMs), intervalMs * 2 ** Math.min(failures - 1, 30));
}

export class SourcePoller {
  readonly state: PollerState = { failures: 0, lastError: null, lastDurationMs: null, polls: 0 };
  #stop = new AbortController();
  #wake: AbortController | null = null;
  #warned = false;
  #loop: Promise<void> | null = null;

  constructor(
    readonly source: SensorSource,
    readonly o: PollerOptions,
  ) {}

  /** Start polling, the first poll after `initialDelayMs` of agent time (staggers a rack of BMCs). */
  start(initialDelayMs = 0): void {
    this.#loop ??= this.#run(initialDelayMs);
  }

  /** Poll now instead of waiting out the current sleep (no effect while a poll runs). */
  wake(): void {
    this.#wake?.abort();
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("poller stopped"));
    this.#wake?.abort();
    await this.#loop;
  }

  async #run(initialDelayMs: number): Promise<void> {
    if (initialDelayMs > 0) await this.#sleep(initialDelayMs);
    while (!this.#stop.signal.aborted) {
      await this.pollOnce();
      if (this.#stop.signal.aborted) break;
      await this.#sleep(nextDelayMs(this.state.failures, this.o.intervalMs, this.o.maxBackoffMs));
    }
  }

  /** Sleep on the agent clock until the delay passes, wake() or stop(). */
  async #sleep(ms: number): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#wake = new AbortController();
    try {
      await this.o.clock.sleep(ms, this.#wake.signal);
    } catch {
      // woken or stopped
    }
  }

  /** One bounded poll; never throws. */
  async pollOnce(): Promise<void> {
    const { source, o } = this;
    const started = performance.now();
    // one controller per poll, linked by hand: AbortSignal.any on the long-lived stop signal would
    // accumulate dependants over months of polling
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new PollTimeoutError(source.name, o.timeoutMs)), o.timeoutMs);
    const onStop = () => ac.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    let readings: Reading[];
    try {
      // the race guarantees the limit even for a source that ignores its signal
      readings = await Promise.race([
        source.poll(ac.signal),
        new Promise<never>((_, reject) =>
          ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true }),
        ),
      ]);
    } catch (e) {
      if (this.#stop.signal.aborted) return;
      this.#failed(e as Error, performance.now() - started);
      return;
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener("abort", onStop);
    }
    this.state.lastDurationMs = performance.now() - started;
    this.state.polls++;
    o.metrics.inc("presage_agent_polls_total", { source: source.name, result: "ok" });
    o.metrics.observe("presage_agent_poll_duration_seconds", this.state.lastDurationMs / 1_000, {
      source: source.name,
    });
    if (this.state.failures > 0)
      o.log.info({ source: source.name, failures: this.state.failures }, "source answers again");
    this.state.failures = 0;
    this.state.lastError = null;
    if (this.#warned) {
      this.#warned = false;
      o.onEvent(this.#event("info", "cleared", `${source.name} answers again`));
    }
    o.onReadings(source, readings);
  }

  #failed(e: Error, ms: number): void {
    const { source, o } = this;
    this.state.failures++;
    this.state.polls++;
    this.state.lastError = e.message;
    this.state.lastDurationMs = ms;
    o.metrics.inc("presage_agent_polls_total", { source: source.name, result: "error" });
    o.metrics.observe("presage_agent_poll_duration_seconds", ms / 1_000, { source: source.name });
    const nextMs = nextDelayMs(this.state.failures, o.intervalMs, o.maxBackoffMs);
    o.log.warn(
      { source: source.name, failures: this.state.failures, err: e.message, nextPollInMs: nextMs },
      "poll failed",
    );
    if (this.state.failures >= o.failureThreshold && !this.#warned) {
      this.#warned = true;
      o.onEvent(
        this.#event(
          "warning",
          "failure",
          `${source.name} failed ${this.state.failures} polls in a row (last: ${e.message}); its sensors are not being read`,
        ),
      );
    }
  }

  #event(severity: SensorEvent["severity"], kind: SensorEvent["kind"], reason: string): SensorEvent {
    const ts = this.o.clock.now();
    const id = `${this.source.host}-sensor-${this.source.name.replace(/[^A-Za-z0-9_-]/g, "_")}-${kind}-${ts}`;
    return {
      id: id.slice(0, 256),
      ts,
      host: this.source.host,
      severity,
      kind,
      component: "sensor",
      sensor: null,
      reason: reason.slice(0, 2_000),
      predictedFailureAt: null,
      confidence: null,
    };
  }
}
