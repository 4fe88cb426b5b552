/** Small robust statistics on plain arrays, for the detector's per-bucket work. */

/** k-th smallest of a[0..n) (0-based), reordering a in place: Hoare's selection, O(n) on average. */
function select(a: number[] | Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}

/** Median of the first n values of a scratch array, reordering it (no allocation; for hot paths). */
export function medianInPlace(a: number[] | Float64Array, n = a.length): number {
  if (n === 0) return Number.NaN;
  const m = n >> 1;
  const hi = select(a, n, m);
  if (n % 2) return hi;
  // after selecting m, every value left of m is <= a[m]: the lower middle is their maximum
  let lo = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m; i++) if ((a[i] as number) > lo) lo = a[i] as number;
  return (lo + hi) / 2;
}

/** The q-quantile (lower) of the first n values of a scratch array, reordering it. */
export function quantileInPlace(a: number[] | Float64Array, q: number, n = a.length): number {
  return n === 0 ? Number.NaN : select(a, n, Math.min(n - 1, Math.floor(q * n)));
}

/** Median of a copy of xs. */
export function median(xs: ArrayLike<number>, n = xs.length): number {
  return medianInPlace(Array.prototype.slice.call(xs, 0, n) as number[], n);
}

/** Median absolute deviation scaled to a normal sigma. */
export function robustSigma(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * medianInPlace(xs.map((x) => Math.abs(x - m)));
}

export type Trend = {
  /** Theil-Sen slope, units per ms */
  slope: number;
  /** Mann-Kendall z (positive = rising); ties handled by ignoring tied pairs in S */
  z: number;
};

/** pairwise slopes of the largest window (windowBuckets <= 1,000), reused across calls */
let scratch = new Float64Array(0);

/** Theil-Sen slope and Mann-Kendall z over points (t[i], y[i]), i < n: O(n^2) pairs, median by selection. */
export function robustTrend(t: ArrayLike<number>, y: ArrayLike<number>, n: number): Trend {
  const pairs = (n * (n - 1)) / 2;
  if (scratch.length < pairs) scratch = new Float64Array(pairs);
  let m = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    const yi = y[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dy = (y[j] as number) - yi;
      const dt = (t[j] as number) - ti;
      if (dt > 0) scratch[m++] = dy / dt;
      s += dy > 0 ? 1 : dy < 0 ? -1 : 0;
    }
  }
  const slope = m ? medianInPlace(scratch, m) : 0;
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  const z = variance > 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  return { slope, z };
}
