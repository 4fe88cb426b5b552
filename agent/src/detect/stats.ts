/** Small robust statistics on plain arrays: no allocation beyond one scratch copy. */

export function median(xs: ArrayLike<number>, n = xs.length): number {
  if (n === 0) return Number.NaN;
  const a = Array.prototype.slice.call(xs, 0, n) as number[];
  a.sort((p, q) => p - q);
  const m = n >> 1;
  return n % 2 ? (a[m] as number) : ((a[m - 1] as number) + (a[m] as number)) / 2;
}

/** Median of a scratch array, sorting it in place (no allocation; for hot paths). */
export function medianInPlace(a: number[]): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return a[0] as number;
  a.sort((p, q) => p - q);
  const m = n >> 1;
  return n % 2 ? (a[m] as number) : ((a[m - 1] as number) + (a[m] as number)) / 2;
}

/** Median absolute deviation scaled to a normal sigma. */
export function robustSigma(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

export type Trend = {
  /** Theil-Sen slope, units per ms */
  slope: number;
  /** Theil-Sen intercept at t = 0 */
  intercept: number;
  /** Mann-Kendall z (positive = rising); ties handled by ignoring tied pairs in S */
  z: number;
};

/** Theil-Sen slope and Mann-Kendall z over points (t[i], y[i]), i < n. O(n^2); n is a window of buckets. */
export function robustTrend(t: ArrayLike<number>, y: ArrayLike<number>, n: number): Trend {
  const slopes: number[] = [];
  let s = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    const yi = y[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dy = (y[j] as number) - yi;
      const dt = (t[j] as number) - ti;
      if (dt > 0) slopes.push(dy / dt);
      s += dy > 0 ? 1 : dy < 0 ? -1 : 0;
    }
  }
  const slope = slopes.length ? median(slopes) : 0;
  const ys: number[] = [];
  for (let i = 0; i < n; i++) ys.push((y[i] as number) - slope * (t[i] as number));
  const intercept = n ? median(ys) : 0;
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  const z = variance > 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  return { slope, intercept, z };
}
