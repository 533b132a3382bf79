/**
 * The head's inverted index: for every label name and value, the sorted series
 * references (`Uint32Array`) of the series carrying it, plus the list of all
 * series. Implements the `PostingsSource` the block index also offers, so the
 * same `postingsForMatchers` evaluates matchers against both.
 *
 * Lists returned are views that stay valid and unchanged after later additions
 * or deletions (additions write past the view's end or into a new buffer;
 * deletions build new buffers), so a querier can hold them without copying.
 */
import type { PostingsSource } from '../index/postings_for_matchers.js';
import type { Labels } from '../labels.js';

/** A growable sorted list of series references. */
class PostingList {
  buf: Uint32Array;
  len: number;

  constructor(cap: number) {
    this.buf = new Uint32Array(cap);
    this.len = 0;
  }

  /** Inserts `ref`, which is almost always larger than every element (refs grow). */
  add(ref: number): void {
    if (this.len === this.buf.length) {
      const nb = new Uint32Array(Math.max(4, this.buf.length * 2));
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    const n = this.len;
    if (n === 0 || this.buf[n - 1]! < ref) {
      this.buf[n] = ref;
      this.len = n + 1;
      return;
    }
    // Rare: a series created by one appender committed before an older one's.
    // Copy rather than shift in place so that views handed out stay unchanged.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf[mid]! < ref) lo = mid + 1;
      else hi = mid;
    }
    if (this.buf[lo] === ref) return;
    const nb = new Uint32Array(this.buf.length);
    nb.set(this.buf.subarray(0, lo));
    nb[lo] = ref;
    nb.set(this.buf.subarray(lo, n), lo + 1);
    this.buf = nb;
    this.len = n + 1;
  }

  view(): Uint32Array {
    return this.buf.subarray(0, this.len);
  }

  /** Rebuilds without the refs `dead` reports, into a fresh buffer. Returns the new length. */
  filter(dead: (ref: number) => boolean): number {
    const nb = new Uint32Array(Math.max(1, this.len));
    let n = 0;
    for (let i = 0; i < this.len; i++) {
      const r = this.buf[i]!;
      if (!dead(r)) nb[n++] = r;
    }
    this.buf = nb;
    this.len = n;
    return n;
  }
}

const EMPTY = new Uint32Array(0);

export class MemPostings implements PostingsSource {
  private readonly byName: Map<string, Map<string, PostingList>>;
  private readonly all: PostingList;

  constructor() {
    this.byName = new Map();
    this.all = new PostingList(1024);
  }

  /** Indexes series `ref` under each of its labels. */
  add(ref: number, labels: Labels): void {
    this.all.add(ref);
    for (let i = 0; i < labels.length; i++) {
      const name = labels.name(i);
      let values = this.byName.get(name);
      if (values === undefined) {
        values = new Map();
        this.byName.set(name, values);
      }
      const value = labels.value(i);
      let list = values.get(value);
      if (list === undefined) {
        list = new PostingList(1);
        values.set(value, list);
      }
      list.add(ref);
    }
  }

  /** Removes every series for which `dead(ref)` is true; drops names and values left empty. */
  deleteWhere(dead: (ref: number) => boolean): void {
    this.all.filter(dead);
    for (const [name, values] of this.byName) {
      for (const [value, list] of values) if (list.filter(dead) === 0) values.delete(value);
      if (values.size === 0) this.byName.delete(name);
    }
  }

  allPostings(): Uint32Array {
    return this.all.view();
  }

  postings(name: string, value: string): Uint32Array {
    return this.byName.get(name)?.get(value)?.view() ?? EMPTY;
  }

  /** Union of the lists of every value of `name` accepted by `match`. */
  postingsForMatching(name: string, match: (value: string) => boolean): Uint32Array {
    const values = this.byName.get(name);
    if (values === undefined) return EMPTY;
    const lists: Uint32Array[] = [];
    let total = 0;
    for (const [v, list] of values) {
      if (match(v)) {
        lists.push(list.view());
        total += list.len;
      }
    }
    if (lists.length === 0) return EMPTY;
    if (lists.length === 1) return lists[0]!;
    // Concatenate and sort: cheaper than a k-way merge for the many small lists of a label.
    const out = new Uint32Array(total);
    let o = 0;
    for (const l of lists) {
      out.set(l, o);
      o += l.length;
    }
    out.sort();
    return out;
  }

  /** Label names in use (unsorted). */
  names(): IterableIterator<string> {
    return this.byName.keys();
  }

  /** Values of label `name` in use (unsorted). */
  values(name: string): IterableIterator<string> {
    return this.byName.get(name)?.keys() ?? [].values();
  }

  /** Number of distinct label name/value pairs. */
  pairCount(): number {
    let n = 0;
    for (const values of this.byName.values()) n += values.size;
    return n;
  }
}
