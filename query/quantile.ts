/**
 * Quantile estimation shared by `quantile`, `quantile_over_time`,
 * `mad_over_time` and classic-histogram `histogram_quantile`/`histogram_fraction`,
 * with the exact arithmetic of Prometheus's `promql/quantile.go`.
 */

/**
 * The φ-quantile of `vals[0..n)` (reordered in place): rank φ·(n−1), linear
 * interpolation between neighbours. NaN values sort first (as Prometheus's value
 * heap orders them). φ < 0 → −Inf, φ > 1 → +Inf, NaN φ or no values → NaN.
 */
export function quantile(q: number, vals: Float64Array, n: number): number {
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  sortNaNFirst(vals, n);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return vals[lower]! * (1 - weight) + vals[upper]! * weight;
}

/** Sorts `vals[0..n)` ascending with every NaN first. */
export function sortNaNFirst(vals: Float64Array, n: number): void {
  let w = 0;
  // Move NaNs to the front, then sort the rest numerically.
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(vals[i]!)) {
      const t = vals[w]!;
      vals[w] = vals[i]!;
      vals[i] = t;
      w++;
    }
  }
  vals.subarray(w, n).sort();
}

/** Relative tolerance under which neighbouring bucket counts are treated as equal. */
const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's `almost.Equal` (StaleNaN is not distinguished here: bucket counts are never stale). */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** Classic histogram buckets of one series group, as parallel arrays (reused between steps). */
export class Buckets {
  upper: Float64Array;
  count: Float64Array;
  n: number;

  constructor() {
    this.upper = new Float64Array(16);
    this.count = new Float64Array(16);
    this.n = 0;
  }

  push(upper: number, count: number): void {
    if (this.n === this.upper.length) {
      const u = new Float64Array(this.n * 2);
      u.set(this.upper);
      const c = new Float64Array(this.n * 2);
      c.set(this.count);
      this.upper = u;
      this.count = c;
    }
    this.upper[this.n] = upper;
    this.count[this.n] = count;
    this.n++;
  }

  /** Sorts by upper bound (stable insertion sort: bucket lists are short). */
  sort(): void {
    const u = this.upper;
    const c = this.count;
    for (let i = 1; i < this.n; i++) {
      const ui = u[i]!;
      const ci = c[i]!;
      let j = i - 1;
      while (j >= 0 && u[j]! > ui) {
        u[j + 1] = u[j]!;
        c[j + 1] = c[j]!;
        j--;
      }
      u[j + 1] = ui;
      c[j + 1] = ci;
    }
  }

  /** Merges buckets with the same upper bound by adding their counts (input must be sorted). */
  coalesce(): void {
    if (this.n === 0) return;
    let i = 0;
    let lastU = this.upper[0]!;
    let lastC = this.count[0]!;
    for (let k = 1; k < this.n; k++) {
      if (this.upper[k] === lastU) lastC += this.count[k]!;
      else {
        this.upper[i] = lastU;
        this.count[i] = lastC;
        i++;
        lastU = this.upper[k]!;
        lastC = this.count[k]!;
      }
    }
    this.upper[i] = lastU;
    this.count[i] = lastC;
    this.n = i + 1;
  }
}

/**
 * Outcome of `bucketQuantile` beyond the value: whether counts had to be made
 * monotonic, and then the lowest and highest fixed bucket and the largest fix.
 */
export const bucketQuantileInfo = { forcedMonotonic: false, minBucket: 0, maxBucket: 0, maxDiff: 0 };

/**
 * The φ-quantile of a classic histogram (`le` buckets, cumulative counts), as
 * Prometheus's `BucketQuantile`. Reorders and may modify `b`.
 */
export function bucketQuantile(q: number, b: Buckets): number {
  bucketQuantileInfo.forcedMonotonic = false;
  bucketQuantileInfo.minBucket = Number.POSITIVE_INFINITY;
  bucketQuantileInfo.maxBucket = Number.NEGATIVE_INFINITY;
  bucketQuantileInfo.maxDiff = 0;
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  b.sort();
  if (b.upper[b.n - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  b.coalesce();
  ensureMonotonic(b);
  if (b.n < 2) return Number.NaN;
  const observations = b.count[b.n - 1]!;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // First bucket (among all but the +Inf one) whose count reaches the rank.
  let idx = 0;
  while (idx < b.n - 1 && !(b.count[idx]! >= rank)) idx++;
  if (idx === b.n - 1) return b.upper[b.n - 2]!;
  if (idx === 0 && b.upper[0]! <= 0) return b.upper[0]!;
  let bucketStart = 0;
  const bucketEnd = b.upper[idx]!;
  let count = b.count[idx]!;
  if (idx > 0) {
    bucketStart = b.upper[idx - 1]!;
    count -= b.count[idx - 1]!;
    rank -= b.count[idx - 1]!;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function ensureMonotonic(b: Buckets): void {
  let prev = b.count[0]!;
  for (let i = 1; i < b.n; i++) {
    const curr = b.count[i]!;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      b.count[i] = prev;
      continue;
    }
    if (curr < prev) {
      b.count[i] = prev;
      const info = bucketQuantileInfo;
      info.forcedMonotonic = true;
      if (b.upper[i]! < info.minBucket) info.minBucket = b.upper[i]!;
      if (b.upper[i]! > info.maxBucket) info.maxBucket = b.upper[i]!;
      if (prev - curr > info.maxDiff) info.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
}

/**
 * The fraction of observations between `lower` and `upper` in a classic histogram,
 * as Prometheus's `BucketFraction` (linear interpolation inside buckets).
 */
export function bucketFraction(lower: number, upper: number, b: Buckets): number {
  b.sort();
  if (b.upper[b.n - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  b.coalesce();
  const count = b.count[b.n - 1]!;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = b.upper[0]! <= 0 ? Number.NEGATIVE_INFINITY : 0;
  for (let i = 0; i < b.n; i++) {
    if (i > 0) lowerBound = b.upper[i - 1]!;
    const upperBound = b.upper[i]!;
    const bc = b.count[i]!;
    const interp = (v: number): number =>
      lowerBound === Number.NEGATIVE_INFINITY ? bc : rank + ((bc - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interp(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interp(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = bc;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
