/**
 * Label sets: the identity of a series.
 *
 * A `Labels` is immutable, sorted by label name (byte order of the UTF-16 code
 * units, which equals Go's byte order for every name Prometheus accepts), holds
 * no empty values (Prometheus treats `name=""` as absence) and caches its hash.
 * Names and values live in one flat string array `[n0, v0, n1, v1, …]` so a
 * label set is two objects, not one per label.
 */

/** The label that carries the metric name. */
export const METRIC_NAME = '__name__';

/** One label, used only at the edges (parsing, JSON); hot code indexes a `Labels` directly. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

const SEP = '\xff';

export class Labels {
  /** The empty label set. */
  static readonly EMPTY: Labels = new Labels([]);

  /** Flat `[name, value, …]`, sorted by name, no duplicates, no empty values. */
  private readonly kv: readonly string[];
  private hashCache: number;
  private keyCache: string | null;

  /** Takes ownership of `kv`, which must already be sorted, unique and free of empty values. */
  private constructor(kv: readonly string[]) {
    this.kv = kv;
    this.hashCache = -1;
    this.keyCache = null;
  }

  /**
   * Builds a label set from a record or name/value pairs. Empty values are dropped;
   * a duplicated name keeps its last value.
   */
  static from(src: Readonly<Record<string, string>> | Iterable<readonly [string, string]>): Labels {
    const pairs: [string, string][] = [];
    const it = isIterable(src) ? src : Object.entries(src);
    for (const [n, v] of it) pairs.push([n, v]);
    return Labels.fromPairs(pairs);
  }

  /** Builds a label set from alternating names and values: `fromStrings('a', '1', 'b', '2')`. */
  static fromStrings(...nv: string[]): Labels {
    if (nv.length % 2 !== 0) throw new RangeError(`Labels.fromStrings: expected an even number of strings, got ${nv.length}`);
    const pairs: [string, string][] = [];
    for (let i = 0; i < nv.length; i += 2) pairs.push([nv[i]!, nv[i + 1]!]);
    return Labels.fromPairs(pairs);
  }

  private static fromPairs(pairs: [string, string][]): Labels {
    pairs.sort((a, b) => cmpStr(a[0], b[0]));
    const kv: string[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const [n, v] = pairs[i]!;
      // A later duplicate overrides an earlier one (stable sort keeps input order).
      if (kv.length > 0 && kv[kv.length - 2] === n) {
        if (v === '') kv.length -= 2;
        else kv[kv.length - 1] = v;
        continue;
      }
      if (v !== '') kv.push(n, v);
    }
    return kv.length === 0 ? Labels.EMPTY : new Labels(kv);
  }

  /** Number of labels. */
  get length(): number {
    return this.kv.length >> 1;
  }

  /** Name of the i-th label (0-based, in sorted order). */
  name(i: number): string {
    return this.kv[i * 2] ?? '';
  }

  /** Value of the i-th label (0-based, in sorted order). */
  value(i: number): string {
    return this.kv[i * 2 + 1] ?? '';
  }

  /** The value of label `name`, or `''` if it is absent (as in Prometheus). */
  get(name: string): string {
    // Binary search over the sorted names.
    let lo = 0;
    let hi = (this.kv.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const n = this.kv[mid * 2]!;
      if (n === name) return this.kv[mid * 2 + 1]!;
      if (n < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return '';
  }

  /** Whether label `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== '';
  }

  /** The metric name (`__name__`), or `''`. */
  metricName(): string {
    return this.get(METRIC_NAME);
  }

  isEmpty(): boolean {
    return this.kv.length === 0;
  }

  /** Calls `fn` for each label in sorted order. */
  forEach(fn: (name: string, value: string) => void): void {
    for (let i = 0; i < this.kv.length; i += 2) fn(this.kv[i]!, this.kv[i + 1]!);
  }

  /** A fresh array of the labels, in sorted order. */
  toArray(): Label[] {
    const out: Label[] = [];
    for (let i = 0; i < this.kv.length; i += 2) out.push({ name: this.kv[i]!, value: this.kv[i + 1]! });
    return out;
  }

  /** A fresh plain object (the shape of the Prometheus JSON API's `metric` field). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.kv.length; i += 2) out[this.kv[i]!] = this.kv[i + 1]!;
    return out;
  }

  /**
   * A string that identifies the label set exactly (no two different sets share it).
   * Cached; suitable as a Map key.
   */
  key(): string {
    if (this.keyCache === null) this.keyCache = this.kv.join(SEP);
    return this.keyCache;
  }

  /**
   * A 53-bit hash of the label set (cached). Equal sets hash equally; use `equals`
   * to resolve collisions.
   */
  hash(): number {
    if (this.hashCache < 0) this.hashCache = hashStrings(this.kv, 0, this.kv.length);
    return this.hashCache;
  }

  /** Hash over only the labels named in `names` (which must be sorted), as for `by (…)` grouping. */
  hashForLabels(names: readonly string[]): number {
    const parts: string[] = [];
    for (const n of names) {
      const v = this.get(n);
      if (v !== '') parts.push(n, v);
    }
    return hashStrings(parts, 0, parts.length);
  }

  /** Hash over all labels except those named in `names` and `__name__`, as for `without (…)`. */
  hashWithoutLabels(names: readonly string[]): number {
    const parts: string[] = [];
    for (let i = 0; i < this.kv.length; i += 2) {
      const n = this.kv[i]!;
      if (n === METRIC_NAME || names.includes(n)) continue;
      parts.push(n, this.kv[i + 1]!);
    }
    return hashStrings(parts, 0, parts.length);
  }

  equals(o: Labels): boolean {
    if (this === o) return true;
    if (this.kv.length !== o.kv.length) return false;
    if (this.hashCache >= 0 && o.hashCache >= 0 && this.hashCache !== o.hashCache) return false;
    for (let i = 0; i < this.kv.length; i++) if (this.kv[i] !== o.kv[i]) return false;
    return true;
  }

  /** A copy without `__name__`. */
  withoutMetricName(): Labels {
    if (!this.has(METRIC_NAME)) return this;
    return this.builder().del(METRIC_NAME).labels();
  }

  /** A builder seeded with this set. */
  builder(): LabelsBuilder {
    return new LabelsBuilder(this);
  }

  /**
   * Prometheus's string form: `{__name__="up", job="api"}`, values quoted with Go's
   * escaping (`\\`, `\"`, `\n`, …).
   */
  toString(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.kv.length; i += 2) parts.push(`${formatLabelName(this.kv[i]!)}=${quoteString(this.kv[i + 1]!)}`);
    return `{${parts.join(', ')}}`;
  }

  /** The PromQL form: `up{job="api"}`; the name is moved out of the braces when it is a valid legacy metric name. */
  toSelectorString(): string {
    const name = this.metricName();
    const nameInBraces = name !== '' && !isValidLegacyMetricName(name);
    const parts: string[] = [];
    if (nameInBraces) parts.push(quoteString(name));
    for (let i = 0; i < this.kv.length; i += 2) {
      const n = this.kv[i]!;
      if (n === METRIC_NAME) continue;
      parts.push(`${formatLabelName(n)}=${quoteString(this.kv[i + 1]!)}`);
    }
    const head = nameInBraces ? '' : name;
    if (parts.length === 0 && head !== '') return head;
    return `${head}{${parts.join(', ')}}`;
  }

  /** Orders label sets as Prometheus does: label by label, names then values, shorter first. */
  static compare(a: Labels, b: Labels): number {
    const n = Math.min(a.kv.length, b.kv.length);
    for (let i = 0; i < n; i += 2) {
      if (a.kv[i] !== b.kv[i]) return cmpStr(a.kv[i]!, b.kv[i]!);
      if (a.kv[i + 1] !== b.kv[i + 1]) return cmpStr(a.kv[i + 1]!, b.kv[i + 1]!);
    }
    return a.kv.length - b.kv.length;
  }

  /** @internal Used by LabelsBuilder, which guarantees the invariants. */
  static unsafeFromSorted(kv: string[]): Labels {
    return kv.length === 0 ? Labels.EMPTY : new Labels(kv);
  }
}

/**
 * A mutable overlay on a base label set, for relabeling and evaluation:
 * `set`, `del`, `keep`, then `labels()` for the immutable result. Setting a label to
 * `''` deletes it, as in Prometheus.
 */
export class LabelsBuilder {
  private base: Labels;
  private readonly add: Map<string, string>;
  private readonly removed: Set<string>;

  constructor(base: Labels = Labels.EMPTY) {
    this.base = base;
    this.add = new Map();
    this.removed = new Set();
  }

  /** Starts over from `base`, dropping pending changes. */
  reset(base: Labels): this {
    this.base = base;
    this.add.clear();
    this.removed.clear();
    return this;
  }

  /** The current value of `name` including pending changes, or `''`. */
  get(name: string): string {
    const a = this.add.get(name);
    if (a !== undefined) return a;
    if (this.removed.has(name)) return '';
    return this.base.get(name);
  }

  set(name: string, value: string): this {
    if (value === '') return this.del(name);
    this.add.set(name, value);
    this.removed.delete(name);
    return this;
  }

  del(...names: string[]): this {
    for (const n of names) {
      this.add.delete(n);
      this.removed.add(n);
    }
    return this;
  }

  /** Removes every label whose name is not in `names`. */
  keep(...names: string[]): this {
    const keepSet = new Set(names);
    this.base.forEach((n) => {
      if (!keepSet.has(n)) this.removed.add(n);
    });
    for (const n of [...this.add.keys()]) if (!keepSet.has(n)) this.add.delete(n);
    return this;
  }

  /** Calls `fn` for each label of the current state, in sorted order. */
  range(fn: (name: string, value: string) => void): void {
    this.labels().forEach(fn);
  }

  /** The resulting immutable label set. */
  labels(): Labels {
    if (this.add.size === 0 && this.removed.size === 0) return this.base;
    const kv: string[] = [];
    const extra = [...this.add.entries()].sort((a, b) => cmpStr(a[0], b[0]));
    let j = 0;
    for (let i = 0; i < this.base.length; i++) {
      const n = this.base.name(i);
      while (j < extra.length && cmpStr(extra[j]![0], n) < 0) {
        kv.push(extra[j]![0], extra[j]![1]);
        j++;
      }
      if (j < extra.length && extra[j]![0] === n) {
        kv.push(n, extra[j]![1]);
        j++;
        continue;
      }
      if (this.removed.has(n)) continue;
      kv.push(n, this.base.value(i));
    }
    for (; j < extra.length; j++) kv.push(extra[j]![0], extra[j]![1]);
    return Labels.unsafeFromSorted(kv);
  }
}

function isIterable(x: unknown): x is Iterable<readonly [string, string]> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

/** Compares two strings by code unit, returning -1, 0 or 1. */
export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * cyrb53-style 53-bit hash over a slice of strings with a separator between them.
 * Not cryptographic; collisions are resolved by `equals`.
 */
export function hashStrings(parts: readonly string[], from: number, to: number): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let p = from; p < to; p++) {
    const s = parts[p]!;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // Separator so that ("ab","c") and ("a","bc") differ.
    h1 = Math.imul(h1 ^ 0xff, 2654435761);
    h2 = Math.imul(h2 ^ 0xff, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` is a metric name that needs no quoting (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
export function isValidLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC_NAME.test(name);
}

/** Whether `name` is a label name that needs no quoting (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isValidLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

/**
 * Whether `name` is valid under Prometheus 3's UTF-8 naming: any non-empty, well-formed
 * UTF-8 string (lone surrogates are not valid UTF-8).
 */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && !LONE_SURROGATE.test(name);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function formatLabelName(n: string): string {
  return isValidLegacyLabelName(n) ? n : quoteString(n);
}

/** Quotes a string as Go's `strconv.Quote` does for the characters labels contain. */
export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0b:
        out += '\\v';
        break;
      default:
        if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
        else out += s[i];
    }
  }
  return out + '"';
}
