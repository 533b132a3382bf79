/**
 * Neumaier-compensated summation, as Prometheus's `util/kahansum`: sums, averages
 * and variances in the conformance scripts assume exactly this arithmetic.
 */

/** Result of the last `kahanInc` call: the new sum and compensation. */
export const kahan = { sum: 0, c: 0 };

/** Adds `inc` to (`sum`, `c`); the results are left in `kahan.sum` / `kahan.c` (no allocation). */
export function kahanInc(inc: number, sum: number, c: number): void {
  const t = sum + inc;
  if (t > Number.MAX_VALUE || t < -Number.MAX_VALUE) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  kahan.sum = t;
  kahan.c = c;
}
