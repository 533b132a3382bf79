/**
 * Postings lists: sorted, duplicate-free series references held in `Uint32Array`s,
 * and the set operations that turn label matchers into the series to read.
 *
 * Every function takes sorted, unique inputs and returns a sorted, unique result.
 * Results may share memory with an input when no work is needed (e.g. a union of
 * one list returns that list); callers must not mutate postings they did not create.
 */

/** The empty postings list. */
export const EMPTY_POSTINGS: Uint32Array = new Uint32Array(0);

/** Series in every list. With no lists, the empty list (not "all"). */
export function intersectPostings(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY_POSTINGS;
  // Intersect smallest first: the result can only shrink.
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  let acc = sorted[0]!;
  for (let i = 1; i < sorted.length && acc.length > 0; i++) acc = intersect2(acc, sorted[i]!);
  return acc;
}

function intersect2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let n = 0;
  let j = 0;
  const bl = b.length;
  for (let i = 0; i < a.length && j < bl; i++) {
    const x = a[i]!;
    // Gallop through b when it is much longer than a.
    if (b[j]! < x) j = seekIndex(b, j, x);
    if (j < bl && b[j] === x) {
      out[n++] = x;
      j++;
    }
  }
  return out.subarray(0, n);
}

/** First index `>= from` in `p` whose value is `>= x` (exponential then binary search). */
export function seekIndex(p: Uint32Array, from: number, x: number): number {
  let step = 1;
  let lo = from;
  let hi = from;
  while (hi < p.length && p[hi]! < x) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > p.length) hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Series in at least one list. */
export function mergePostings(lists: readonly Uint32Array[]): Uint32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY_POSTINGS;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  // Pairwise merge in a balanced tree: O(total · log k) without a heap.
  let level = nonEmpty;
  while (level.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1];
      next.push(b === undefined ? a : union2(a, b));
    }
    level = next;
  }
  return level[0]!;
}

function union2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return out.subarray(0, n);
}

/** Series in `a` but not in `b`. */
export function withoutPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0 || a.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (j < b.length && b[j]! < x) j = seekIndex(b, j, x);
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

/**
 * A growable `Uint32Array` for building postings in increasing order (the index
 * writer appends series ids as it assigns them).
 */
export class PostingsBuilder {
  private buf: Uint32Array;
  length: number;

  constructor(initial = 4) {
    this.buf = new Uint32Array(initial);
    this.length = 0;
  }

  push(v: number): void {
    if (this.length === this.buf.length) {
      const nb = new Uint32Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
    }
    this.buf[this.length++] = v;
  }

  /** The list so far (a view; valid until the next `push`). */
  view(): Uint32Array {
    return this.buf.subarray(0, this.length);
  }
}
