/**
 * Per-sensor judges. Each turns readings plus host context into a residual for its Channel (trend) and checks
 * single samples for outright failure; the Episode de-duplicates what they conclude.
 */
import { type Component, EventCause, type Reading, type SensorEvent, type Thresholds } from "@presage/shared";
import type { Assessment } from "./channel.js";
import { Channel } from "./channel.js";
import type { DetectConfig } from "./config.js";
import { Episode } from "./episode.js";
import { confidence, degC, duration, volts } from "./fmt.js";
import type { HostContext } from "./host.js";

export interface Tracker {
  readonly episode: Episode;
  /** a second condition judged on the same sensor (a rail's dips beside its level) */
  readonly also?: Episode;
  /** the last judged trend bucket, for metrics (read-only; trackers without a trend have none) */
  readonly insight?: TrendInsight | null;
  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void;
}

export const th = (r: Reading, k: keyof Thresholds): number | null => {
  const v = r.thresholds?.[k];
  return typeof v === "number" ? v : null;
};

/** residual: the bucket's deviation from baseline (toward failure > 0); score: residual / the smallest that counts */
export type TrendInsight = { ts: number; residual: number; score: number; predictedAt: number | null };

/** Shared trend/failure bookkeeping; subclasses supply residuals and words. */
export abstract class TrendTracker implements Tracker {
  readonly episode: Episode;
  protected readonly cfg: DetectConfig;
  protected readonly channel: Channel;
  protected readonly minDev: number;
  protected readonly name: string;
  protected readonly bucketMs: number;
  #normalBuckets = 0;
  #failRun = 0;
  #samples = 0;
  #lastTs = Number.NEGATIVE_INFINITY;
  /** first normal sample since the last failing one (null: none yet, or a gap broke the run) */
  #normalSince: number | null = null;
  /** sample numbers at which failing runs began, within the stall window (bounded by stallCriticalCount) */
  #stalls: number[] = [];
  #lastValue = Number.NaN;
  #sameSince = 0;
  #refAtChange = 0;
  #stuck = false;
  #last: Assessment | null = null;

  constructor(
    cfg: DetectConfig,
    prefix: string,
    host: string,
    name: string,
    component: Component,
    minDev: number,
    stepBack = true,
    bucketMs = cfg.bucketMs,
    idName = name,
  ) {
    this.cfg = cfg;
    this.name = name;
    this.minDev = minDev;
    this.bucketMs = bucketMs;
    this.channel = new Channel(cfg, minDev, stepBack, bucketMs);
    this.episode = new Episode(prefix, host, idName, component, name);
  }

  abstract ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void;

  /**
   * True while the value has not changed for stuckMs although its reference (siblings' level) moved by stuckMove:
   * a frozen sensor says nothing about a trend. A value that is merely steady under a steady reference is fine.
   */
  protected stuck(ts: number, v: number, ref: number): boolean {
    if (v !== this.#lastValue) {
      this.#lastValue = v;
      this.#sameSince = ts;
      this.#refAtChange = ref;
      this.#stuck = false;
    } else if (!this.#stuck && ts - this.#sameSince >= this.cfg.stuckMs)
      this.#stuck = Math.abs(ref - this.#refAtChange) >= this.cfg.stuckMove * Math.abs(this.#refAtChange);
    return this.#stuck;
  }

  /**
   * One sample, while the host is powered: `failure` says why it is at or past the failure point, null when it is
   * not (a string built only for failing samples, so healthy ones allocate nothing).
   */
  protected sample(ts: number, failure: string | null, out: SensorEvent[], cause?: EventCause): void {
    if (ts - this.#lastTs > this.cfg.maxGapMs) {
      this.#failRun = 0;
      this.#normalSince = null; // a silence is not normal samples
    }
    this.#lastTs = ts;
    const n = ++this.#samples;
    while (this.#stalls.length && n - (this.#stalls[0] as number) >= this.cfg.stallWindowSamples) this.#stalls.shift();
    if (failure === null) {
      this.#failRun = 0;
      this.#normalSince ??= ts;
      // cleared after failureClearMs of normal samples, not after one normal sample following a long gap
      if (this.episode.latched && !this.heldOpen(ts) && ts - this.#normalSince >= this.cfg.failureClearMs) {
        this.episode.clear(ts, `${this.name} back to normal for ${duration(ts - this.#normalSince)}`, out);
        this.channel.rebaseline();
      }
      return;
    }
    this.#normalSince = null;
    if (this.#failRun++ === 0) {
      this.#stalls.push(n);
      if (this.#stalls.length > this.cfg.stallCriticalCount) this.#stalls.shift();
    }
    const stalls = this.#stalls.length;
    const within = `${stalls} times in its last ${n - (this.#stalls[0] as number) + 1} samples`;
    if (this.#failRun >= this.cfg.confirmSamples) {
      this.episode.raise(
        { ts, severity: "critical", kind: "failure", reason: failure, predictedFailureAt: ts, confidence: 0.95, cause },
        out,
      );
    } else if (stalls >= this.cfg.stallWarnCount) {
      const critical = stalls >= this.cfg.stallCriticalCount;
      this.episode.raise(
        {
          ts,
          severity: critical ? "critical" : "warning",
          kind: "degradation",
          reason: `${this.name} dropped out ${within}: intermittent${critical ? ", likely to stop for good" : ""}`,
          predictedFailureAt: critical ? ts : null,
          confidence: critical ? 0.8 : 0.6,
          latched: true,
          cause,
        },
        out,
      );
    }
  }

  /** Judge a closed bucket of the trend channel. */
  get insight(): TrendInsight | null {
    const a = this.#last;
    return a && { ts: a.ts, residual: a.dev, score: a.dev / this.minDev, predictedAt: a.predictedAt };
  }

  protected judge(ts: number, a: Assessment, describe: (a: Assessment) => string, out: SensorEvent[]): void {
    this.#last = a;
    const ep = this.episode;
    if (a.stepBack) {
      ep.clear(
        ts,
        `${this.name} stepped back to better than its old baseline (part replaced or re-set): new baseline`,
        out,
      );
      this.channel.rebaseline();
      this.#normalBuckets = 0;
      return;
    }
    if (ep.latched) return;
    const trending = a.established && a.z >= this.cfg.minTrendZ && this.significant(a);
    const soon = a.predictedAt !== null && a.predictedAt - ts <= this.cfg.horizonMs;
    if (trending || (ep.open && a.dev >= this.minDev)) {
      this.#normalBuckets = 0;
      const crossed = a.level >= a.failAt;
      // critical: past the failure point, heading there within the horizon, or a trend that has already gone
      // criticalDevs times past the smallest change that counts (or half-way to failure) while watched (a warning
      // first, so the people on call hear of it before the evacuation), whatever its rate
      const far = a.dev >= Math.min(this.cfg.criticalDevs * this.minDev, (a.failAt - a.base) / 2);
      const critical = crossed || (a.z >= this.cfg.minTrendZ && (soon || (far && a.established && ep.open)));
      if (critical || (trending && !ep.open))
        ep.raise(
          {
            ts,
            severity: critical ? "critical" : "warning",
            kind: "degradation",
            reason: describe(a),
            predictedFailureAt: a.predictedAt,
            confidence: confidence(a.z, a.dev, this.minDev),
          },
          out,
        );
      return;
    }
    if (ep.open && a.dev < this.minDev / 2 && ++this.#normalBuckets >= this.cfg.clearBuckets) {
      ep.clear(ts, `${this.name} back within its baseline for ${duration(this.#normalBuckets * this.bucketMs)}`, out);
      this.channel.rebaseline();
      this.#normalBuckets = 0;
    }
  }

  /** A latched episode a subclass still has evidence for, though its samples are below the failure point. */
  protected heldOpen(_ts: number): boolean {
    return false;
  }

  /** Extra evidence a subclass demands before a deviation counts (e.g. whole degrees, not quantization). */
  protected significant(_a: Assessment): boolean {
    return true;
  }

  protected eta(ts: number, a: Assessment): string {
    return a.predictedAt === null
      ? ""
      : a.predictedAt <= ts
        ? "; past its failure point"
        : `; failure point in ~${duration(a.predictedAt - ts)}`;
  }
}

/**
 * A CPU judged against its twin, in degrees. Each CPU carries its own load, so healthy twins differ by several
 * degrees and more while load shifts between them (minutes to hours); the fan loop then holds the hotter one near
 * its set point. Paste or heatsink degradation makes one CPU hotter at every load for days. So the difference is
 * judged on `slowBucketMs` buckets against a baseline learned over `learnBuckets` of them: a load shift cannot add
 * up to a trend, a degrading heatsink does. A twin running hotter must not look like this one getting better.
 */
export class CpuTracker extends TrendTracker {
  /** the CPU's highest reading per hour over the last day (a ring): a heatsink fails the CPU at peak load */
  readonly #peaks = new Float64Array(24).fill(Number.NEGATIVE_INFINITY);
  #peakHour = -1;
  #dayPeak = Number.NEGATIVE_INFINITY;
  /** samples in a row near the critical while the room is hot, and the last such sample */
  #nearRun = 0;
  #lastNear = Number.NEGATIVE_INFINITY;

  constructor(cfg: DetectConfig, prefix: string, host: string, name: string) {
    super(cfg, prefix, host, name, "thermal", cfg.cpuMinExcessC, false, cfg.slowBucketMs);
  }

  /** Record `v` and return the day's peak (the ring is scanned once an hour, not per sample). */
  #peak(ts: number, v: number): number {
    const hour = Math.floor(ts / 3_600_000);
    if (hour !== this.#peakHour) {
      // clear the slots of the hours that passed without readings, then start this one
      for (let h = Math.max(this.#peakHour + 1, hour - 23); h <= hour; h++)
        this.#peaks[h % 24] = Number.NEGATIVE_INFINITY;
      this.#peakHour = hour;
      this.#dayPeak = Number.NEGATIVE_INFINITY;
      for (const p of this.#peaks) if (p > this.#dayPeak) this.#dayPeak = p;
    }
    const i = hour % 24;
    if (v > (this.#peaks[i] as number)) this.#peaks[i] = v;
    if (v > this.#dayPeak) this.#dayPeak = v;
    return this.#dayPeak;
  }

  /**
   * About to pass its critical because the room is hot: at or above the BMC's upper non-critical threshold with
   * the inlet `roomCauseC` over its level, `confirmSamples` in a row, and nothing else open on this CPU: a
   * warning with the room as its cause. Latched, so the twin judge leaves it alone (the room confounds it); it
   * clears `failureClearMs` after the last sample near or at the critical; reaching the critical makes it critical.
   */
  #nearLimit(r: Reading & { value: number }, limit: number, ctx: HostContext, out: SensorEvent[]): void {
    const unc = th(r, "unc");
    const room = unc !== null && r.value >= unc && r.value < limit ? ctx.roomCause(r.ts) : null;
    this.#nearRun = room === null ? 0 : this.#nearRun + 1;
    if (room !== null) this.#lastNear = r.ts;
    if (room === null || this.#nearRun < this.cfg.confirmSamples || this.episode.open) return;
    this.episode.raise(
      {
        ts: r.ts,
        severity: "warning",
        kind: "degradation",
        reason: `${this.name} at ${degC(r.value)}, past its warning ${degC(unc as number)} and near its critical ${degC(limit)}${room}`,
        predictedFailureAt: null,
        confidence: 0.8,
        latched: true,
        cause: EventCause.Environment,
      },
      out,
    );
  }

  protected override heldOpen(ts: number): boolean {
    return ts - this.#lastNear < this.cfg.failureClearMs;
  }

  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    const sib = ctx.siblingLevel(ctx.cpus, this.name, r.ts);
    const stuck = sib !== null && this.stuck(r.ts, r.value, sib);
    // a frozen reading is left out of the host's CPU level (airflow, its twin), which then goes stale
    if (!stuck) ctx.record(ctx.cpus, this.name, r.value, r.ts);
    ctx.lastOnTs = r.ts;
    const limit = th(r, "ucr") ?? this.cfg.cpuMaxC;
    // at its limit because the room is hot: still danger, reported with its cause (the controller groups a rack)
    const room = r.value >= limit ? ctx.roomCause(r.ts) : null;
    this.sample(
      r.ts,
      r.value >= limit
        ? `${this.name} at ${degC(r.value)}, at or above its critical ${degC(limit)}${room ?? ""}`
        : null,
      out,
      room === null ? undefined : EventCause.Environment,
    );
    this.#nearLimit(r, limit, ctx, out);
    // during a load burst the CPUs' loads differ most: context, not evidence about a heatsink
    const peak = this.#peak(r.ts, r.value);
    if (sib === null || stuck) return;
    if (ctx.inBurst(r.ts)) {
      this.channel.touch(r.ts);
      return;
    }
    // the excess over the twin grows with load (heat times resistance): the failure point is reached when the
    // day's peak would meet the limit, not when the current, average-load difference would
    const a = this.channel.add(r.ts, r.value - sib, r.value - sib + Math.max(0, limit - peak));
    if (a)
      this.judge(
        r.ts,
        a,
        (x) =>
          `${this.name} runs ${Math.round(x.dev)} C hotter against its twin than its own baseline of ${Math.round(x.base)} C (${Math.round(x.level)} C now, median of the last ${duration(3 * this.bucketMs)}), at every load: heatsink or paste${this.eta(r.ts, x)}`,
        out,
      );
  }
}

/** A coin cell: worth a warning for maintenance, never an evacuation. */
export class BatteryTracker implements Tracker {
  readonly episode: Episode;
  readonly #cfg: DetectConfig;
  readonly #name: string;
  #okSince: number | null = null;

  constructor(cfg: DetectConfig, prefix: string, host: string, name: string) {
    this.#cfg = cfg;
    this.#name = name;
    this.episode = new Episode(prefix, host, name, "sensor");
  }

  ingest(r: Reading & { value: number }, _ctx: HostContext, out: SensorEvent[]): void {
    const low = th(r, "lnc") ?? th(r, "lcr") ?? 2.5;
    const status = (r.status ?? "ok").toLowerCase();
    if (r.value < low || status === "cr" || status === "nc" || status === "lcr" || status === "lnc") {
      this.#okSince = null;
      this.episode.raise(
        {
          ts: r.ts,
          severity: "warning",
          kind: "degradation",
          reason: `${this.#name} is low (${volts(r.value)}): replace the coin cell at the next maintenance; no evacuation needed`,
          predictedFailureAt: null,
          confidence: 0.8,
        },
        out,
      );
      return;
    }
    this.#okSince ??= r.ts;
    if (this.episode.open && r.ts - this.#okSince >= this.#cfg.failureClearMs)
      this.episode.clear(r.ts, `${this.#name} back to ${volts(r.value)}`, out);
  }
}
