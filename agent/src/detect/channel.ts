/**
 * One residual series of one sensor, reduced to bucket medians and judged against its own learned baseline.
 * Values are oriented so that failure lies UP: callers negate falling-is-bad residuals (fan ratio, rail).
 * Memory is fixed: a ring of `windowBuckets` points plus the partial bucket.
 */
import type { DetectConfig } from "./config.js";
import { median, medianInPlace, robustSigma, robustTrend } from "./stats.js";

export type Assessment = {
  ts: number;
  /** median of the last three buckets */
  level: number;
  base: number;
  /** level - base (positive = toward failure) */
  dev: number;
  /** deviation large enough and sustained (CUSUM) to be a degradation */
  established: boolean;
  /** Mann-Kendall z over the window, positive = toward failure */
  z: number;
  /** Theil-Sen slope per ms over the window */
  slope: number;
  /** failure point in residual units, as given with the latest sample */
  failAt: number;
  /** predicted crossing time of failAt, null when not heading there */
  predictedAt: number | null;
  /** moved the other way by at least minDev for three buckets: a replaced or re-set part; re-baseline */
  stepBack: boolean;
};

/** fewest buckets a degradation's rate is estimated from */
const MIN_SEGMENT = 12;

export class Channel {
  readonly #cfg: DetectConfig;
  readonly #minDev: number;
  #bucketStart = -1;
  #acc: number[] = [];
  #failAt = Number.POSITIVE_INFINITY;
  readonly #t: Float64Array;
  readonly #y: Float64Array;
  #n = 0;
  #head = 0;
  #learn: number[] = [];
  #base: number | null = null;
  #sigma = 0;
  #cusum = 0;
  /** buckets since the CUSUM last left 0: how long the current change has been going on */
  #run = 0;
  /** last sample seen (judged or left out as context) and last one judged */
  #lastTs = -1;
  #lastAddTs = -1;

  readonly #stepBack: boolean;
  readonly #bucketMs: number;

  /**
   * minDev: smallest deviation (residual units) that may count; also the noise-sigma floor's scale.
   * stepBack: whether a sustained move away from failure means a replaced part (fans, supplies), not a twin's fault.
   * bucketMs: this channel's time scale (slow faults are judged on longer buckets, so transients cannot add up).
   */
  constructor(cfg: DetectConfig, minDev: number, stepBack = true, bucketMs = cfg.bucketMs) {
    this.#cfg = cfg;
    this.#bucketMs = bucketMs;
    this.#minDev = minDev;
    this.#stepBack = stepBack;
    this.#t = new Float64Array(cfg.windowBuckets);
    this.#y = new Float64Array(cfg.windowBuckets);
  }

  get learned(): boolean {
    return this.#base !== null;
  }

  /** Forget the baseline and history (part replaced, episode over). */
  rebaseline(): void {
    this.#learn = [];
    this.#base = null;
    this.#cusum = 0;
    this.#run = 0;
    this.#n = 0;
    this.#head = 0;
  }

  /** A sample arrived but was left out as context (a load burst, a room excursion): time passed, not a silence. */
  touch(ts: number): void {
    this.#lastTs = ts;
  }

  /** Add one sample; returns an assessment when a bucket closes. */
  add(ts: number, y: number, failAt: number): Assessment | null {
    // a partial bucket of samples from before a gap (silence or context) is stale; only a silence re-learns
    if (this.#lastAddTs >= 0 && ts - this.#lastAddTs > this.#cfg.maxGapMs) this.#acc.length = 0;
    if (this.#lastTs >= 0 && ts - this.#lastTs > this.#cfg.relearnGapMs) this.rebaseline();
    this.#lastTs = ts;
    this.#lastAddTs = ts;
    let out: Assessment | null = null;
    if (this.#bucketStart < 0 || this.#acc.length === 0) this.#bucketStart = ts;
    else if (ts - this.#bucketStart >= this.#bucketMs) {
      out = this.#close();
      this.#bucketStart = ts;
    }
    this.#acc.push(y);
    this.#failAt = failAt;
    return out;
  }

  /**
   * Add one bucket its caller reduced itself (a statistic over the bucket's samples other than their median);
   * returns its assessment once the baseline is learned. The caller knows which gaps are silences (re-baseline)
   * and which are context it skipped.
   */
  addBucket(ts: number, v: number, failAt: number): Assessment | null {
    this.#failAt = failAt;
    return this.#assess(ts, v);
  }

  #close(): Assessment | null {
    const v = medianInPlace(this.#acc);
    this.#acc.length = 0;
    return this.#assess(this.#bucketStart + this.#bucketMs / 2, v);
  }

  #assess(ts: number, v: number): Assessment | null {
    this.#push(ts, v);
    if (this.#base === null) {
      this.#learn.push(v);
      if (this.#learn.length >= this.#cfg.learnBuckets) {
        this.#base = median(this.#learn);
        // the floor keeps a quantized, nearly constant series from having sigma 0
        this.#sigma = Math.max(robustSigma(this.#learn), this.#minDev / 4);
        this.#learn = [];
      }
      return null;
    }
    const base = this.#base;
    this.#cusum = Math.max(0, this.#cusum + (v - base) / this.#sigma - this.#cfg.cusumK);
    this.#run = this.#cusum > 0 ? this.#run + 1 : 0;
    const level = this.#recentLevel();
    const dev = level - base;
    const established = this.#cusum > this.#cfg.cusumH && dev >= this.#minDev;
    let z = 0;
    let slope = 0;
    let predictedAt: number | null = null;
    if (established || dev >= this.#minDev / 2) {
      const { t, y, n } = this.#ordered();
      z = robustTrend(t, y, n).z;
      // on slow channels (36 h windows) the rate is the degradation's own: the slope since the change began
      // (CUSUM rising), not one diluted by a day of flat history; the whole window still has to show the trend (z)
      const seg = this.#bucketMs > this.#cfg.bucketMs ? Math.min(n, Math.max(MIN_SEGMENT, this.#run)) : n;
      slope = robustTrend(t.subarray(n - seg), y.subarray(n - seg), seg).slope;
      if (slope > 0 && level < this.#failAt) predictedAt = Math.round(ts + (this.#failAt - level) / slope);
      else if (level >= this.#failAt) predictedAt = Math.round(ts);
    }
    return {
      ts,
      level,
      base,
      dev,
      established,
      z,
      slope,
      failAt: this.#failAt,
      predictedAt,
      stepBack: this.#stepBack && this.#n >= 3 && dev <= -this.#minDev && this.#maxRecent() - base <= -this.#minDev,
    };
  }

  #push(ts: number, v: number): void {
    const cap = this.#t.length;
    this.#t[this.#head] = ts;
    this.#y[this.#head] = v;
    this.#head = (this.#head + 1) % cap;
    if (this.#n < cap) this.#n++;
  }

  #at(back: number): number {
    const cap = this.#t.length;
    return this.#y[(this.#head - 1 - back + cap * 2) % cap] as number;
  }

  /** median of the last three buckets (fewer right after learning), without allocating */
  #recentLevel(): number {
    if (this.#n === 1) return this.#at(0);
    if (this.#n === 2) return (this.#at(0) + this.#at(1)) / 2;
    const a = this.#at(0);
    const b = this.#at(1);
    const c = this.#at(2);
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }

  #maxRecent(): number {
    let m = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < Math.min(3, this.#n); i++) m = Math.max(m, this.#at(i));
    return m;
  }

  #ordered(): { t: Float64Array; y: Float64Array; n: number } {
    const cap = this.#t.length;
    const n = this.#n;
    const t = new Float64Array(n);
    const y = new Float64Array(n);
    const start = (this.#head - n + cap) % cap;
    for (let i = 0; i < n; i++) {
      t[i] = this.#t[(start + i) % cap] as number;
      y[i] = this.#y[(start + i) % cap] as number;
    }
    return { t, y, n };
  }
}
