/**
 * State and accessors shared by the text and OpenMetrics parsers (private to
 * scrape/parser/). A series is recorded as byte offsets into the body — the name,
 * then four offsets per label (name start/end, value start/end) plus scan flags — and
 * strings are made only when an accessor asks for them.
 */
import { Buffer } from 'node:buffer';
import { Labels, METRIC_NAME } from '../../tsdb/labels.js';
import { formatOpenMetricsFloat, parseGoFloat } from './_float.js';
import { decodeRange, internAscii, isValidUtf8 } from './_utf8.js';
import { ParseError, type ParseErrorCode, quoteBytes } from './parse_error.js';
import type { Entry, Exemplar, ExpositionParser, MetricType, ParserOptions } from './parser.js';

/** Scan flags of a quoted string or name. */
export const F_ESC = 1; // contains a backslash escape
export const F_NONASCII = 2; // contains a byte >= 0x80
export const F_QUOTED = 4; // was written as a quoted string
export const F_DROP = 8; // (value flags) the label is dropped: its name has an empty value in this set

/** Byte classes: bit 1 metric-name start, 2 metric-name char, 4 label-name start, 8 label-name char, 16 digit. */
export const C_NAME_START = 1;
export const C_NAME = 2;
export const C_LNAME_START = 4;
export const C_LNAME = 8;
export const C_DIGIT = 16;
export const CC = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  const digit = c >= 0x30 && c <= 0x39;
  let v = 0;
  if (alpha || c === 0x3a) v |= C_NAME_START | C_NAME;
  if (digit) v |= C_NAME | C_LNAME | C_DIGIT;
  if (alpha) v |= C_LNAME_START | C_LNAME;
  CC[c] = v;
}

const NAME_LABEL = [0x5f, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x5f, 0x5f]; // "__name__"

export abstract class ParserBase implements ExpositionParser {
  protected readonly b: Buffer;
  protected readonly n: number;
  protected readonly format: 'text' | 'openmetrics';
  protected readonly normalize: boolean;

  protected pos: number;
  /** Line number of the byte at `lineStart`; both follow the scan. */
  protected lineNo: number;
  protected lineStart: number;
  protected entryLine: number;
  protected failed: ParseError | null;
  /** Flags of the most recent `scanQuoted`. */
  protected qFlags: number;

  // Current series.
  protected sStart: number;
  protected sEnd: number;
  protected nameS: number;
  protected nameE: number;
  protected nameFlags: number;
  protected offs: Int32Array;
  protected lflags: Uint8Array;
  protected nLabels: number;
  protected val: number;
  protected hasTs: boolean;
  protected ts: number;

  // Metadata.
  protected mtype: MetricType;
  protected metaS: number;
  protected metaE: number;
  protected metaFlags: number;
  protected textS: number;
  protected textE: number;
  protected textFlags: number;
  protected unitStr: string;

  // Exemplar (OpenMetrics).
  protected exOffs: Int32Array;
  protected exFlags: Uint8Array;
  protected exN: number;
  protected hasEx: boolean;
  protected exVal: number;
  protected exHasTs: boolean;
  protected exTs: number;

  /** The hint given to `expect`, and whether the current series matched it. */
  protected expectKey: Uint8Array | null;
  protected expectHit: boolean;
  /** The current series' identity was matched by `expect` and not lexed yet (see `lexPendingIdentity`). */
  protected identityPending: boolean;

  private scratch: Buffer;
  private readonly kv: string[];

  constructor(body: Uint8Array, format: 'text' | 'openmetrics', opts: ParserOptions) {
    this.b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.n = body.byteLength;
    this.format = format;
    this.normalize = opts.normalizeFloatLabels ?? false;
    this.pos = 0;
    this.lineNo = 1;
    this.lineStart = 0;
    this.entryLine = 1;
    this.failed = null;
    this.qFlags = 0;
    this.sStart = 0;
    this.sEnd = 0;
    this.nameS = -1;
    this.nameE = -1;
    this.nameFlags = 0;
    this.offs = new Int32Array(64);
    this.lflags = new Uint8Array(32);
    this.nLabels = 0;
    this.val = 0;
    this.hasTs = false;
    this.ts = 0;
    this.mtype = 'unknown';
    this.metaS = 0;
    this.metaE = 0;
    this.metaFlags = 0;
    this.textS = 0;
    this.textE = 0;
    this.textFlags = 0;
    this.unitStr = '';
    this.exOffs = new Int32Array(16);
    this.exFlags = new Uint8Array(8);
    this.exN = 0;
    this.hasEx = false;
    this.exVal = 0;
    this.exHasTs = false;
    this.exTs = 0;
    this.expectKey = null;
    this.expectHit = false;
    this.identityPending = false;
    this.scratch = Buffer.allocUnsafe(256);
    this.kv = [];
  }

  /** Default: hints are ignored (see `ExpositionParser.expect`). */
  expect(_key: Uint8Array | null): void {}

  expectedHit(): boolean {
    return false;
  }

  /** Lexes the identity of the current series if `expect` let it be skipped. */
  protected lexPendingIdentity(): void {}

  abstract next(): Entry;

  line(): number {
    return this.entryLine;
  }

  // ---- Errors ----

  /** Records and returns a ParseError located at byte `at`. The parser stays failed. */
  protected fail(code: ParseErrorCode, at: number, detail: string): ParseError {
    const e = new ParseError(this.format, code, this.lineNo, Math.max(1, at - this.lineStart + 1), detail);
    this.failed = e;
    return e;
  }

  /** The offending token at `at` for messages: up to the next blank or line end, or "end of input". */
  protected got(at: number): string {
    if (at >= this.n) return 'end of input';
    let e = at + 1;
    while (e < this.n) {
      const c = this.b[e]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a) break;
      e++;
    }
    return quoteBytes(this.b, at, e);
  }

  // ---- Scanning helpers ----

  /**
   * Scans a quoted string whose opening `"` is at `i`; returns the index after the closing
   * quote, or -1 when it is unterminated or holds a forbidden newline. Sets `qFlags`.
   * `\` escapes any byte but a newline; raw newlines are allowed only if `allowNewline`.
   */
  protected scanQuoted(i: number, allowNewline: boolean): number {
    const b = this.b;
    const n = this.n;
    let f = 0;
    i++;
    for (;;) {
      if (i >= n) return -1;
      const c = b[i]!;
      if (c === 0x22) {
        this.qFlags = f;
        return i + 1;
      }
      if (c === 0x5c) {
        if (i + 1 >= n) return -1;
        const d = b[i + 1]!;
        if (d === 0x0a) return -1;
        if (d >= 0x80) f |= F_NONASCII;
        f |= F_ESC;
        i += 2;
        continue;
      }
      if (c >= 0x80) f |= F_NONASCII;
      else if (c === 0x0a) {
        if (!allowNewline) return -1;
        this.lineNo++;
        this.lineStart = i + 1;
      }
      i++;
    }
  }

  /** Appends a label's offsets and flags, growing the arrays as needed. */
  protected pushLabel(ns: number, ne: number, nf: number, vs: number, ve: number, vf: number): void {
    const k = this.nLabels;
    if (k * 4 + 4 > this.offs.length) {
      const o = new Int32Array(this.offs.length * 2);
      o.set(this.offs);
      this.offs = o;
      const f = new Uint8Array(this.lflags.length * 2);
      f.set(this.lflags);
      this.lflags = f;
    }
    const o = this.offs;
    o[k * 4] = ns;
    o[k * 4 + 1] = ne;
    o[k * 4 + 2] = vs;
    o[k * 4 + 3] = ve;
    this.lflags[k * 2] = nf;
    this.lflags[k * 2 + 1] = vf;
    this.nLabels = k + 1;
  }

  /** Appends an exemplar label. */
  protected pushExemplarLabel(ns: number, ne: number, nf: number, vs: number, ve: number, vf: number): void {
    const k = this.exN;
    if (k * 4 + 4 > this.exOffs.length) {
      const o = new Int32Array(this.exOffs.length * 2);
      o.set(this.exOffs);
      this.exOffs = o;
      const f = new Uint8Array(this.exFlags.length * 2);
      f.set(this.exFlags);
      this.exFlags = f;
    }
    this.exOffs[k * 4] = ns;
    this.exOffs[k * 4 + 1] = ne;
    this.exOffs[k * 4 + 2] = vs;
    this.exOffs[k * 4 + 3] = ve;
    this.exFlags[k * 2] = nf;
    this.exFlags[k * 2 + 1] = vf;
    this.exN = k + 1;
  }

  /**
   * Validates the finished series: names non-empty and valid UTF-8, no `__name__` label, no label
   * name twice. Like Prometheus (whose label builder deletes every label whose name has an empty
   * value anywhere in the set), a name with an empty value is dropped in all its occurrences, and
   * only the remaining labels must be unique. Throws at the series start.
   */
  protected checkSeries(): void {
    const b = this.b;
    const o = this.offs;
    const n = this.nLabels;
    let esc = (this.nameFlags & F_ESC) !== 0;
    let anyEmpty = false;
    if (this.nameFlags & F_QUOTED) this.checkName(this.nameS, this.nameE, this.nameFlags, 'metric');
    for (let k = 0; k < n; k++) {
      const s = o[k * 4]!;
      const e = o[k * 4 + 1]!;
      const f = this.lflags[k * 2]!;
      if (f & F_QUOTED) this.checkName(s, e, f, 'label');
      if (f & F_ESC) esc = true;
      const empty = o[k * 4 + 2] === o[k * 4 + 3];
      if (empty) anyEmpty = true;
      if (e - s === 8 && b[s] === 0x5f && bytesEqualArr(b, s, NAME_LABEL)) {
        if (empty) throw this.fail('metric_name', this.sStart, `missing metric name: __name__ set to "" in series ${quoteBytes(b, this.sStart, this.sEnd)}`);
        this.duplicate(METRIC_NAME);
      }
    }
    if (anyEmpty) this.dropEmptyNames();
    if (!esc && n <= 16) {
      for (let k = 1; k < n; k++) {
        if (this.lflags[k * 2 + 1]! & F_DROP) continue;
        const s = o[k * 4]!;
        const len = o[k * 4 + 1]! - s;
        for (let j = 0; j < k; j++) {
          const s2 = o[j * 4]!;
          if (this.lflags[j * 2 + 1]! & F_DROP) continue;
          if (o[j * 4 + 1]! - s2 === len && bytesEqual(b, s, s2, len)) this.duplicate(this.decodeName(s, s + len, this.lflags[k * 2]!));
        }
      }
      return;
    }
    // Escapes can spell one name two ways, and many labels make the pairwise check slow.
    const seen = new Set<string>();
    for (let k = 0; k < n; k++) {
      if (this.lflags[k * 2 + 1]! & F_DROP) continue;
      const name = this.decodeName(o[k * 4]!, o[k * 4 + 1]!, this.lflags[k * 2]!);
      if (seen.has(name)) this.duplicate(name);
      seen.add(name);
    }
  }

  /** Marks with F_DROP every label whose name has an empty value somewhere in the set. */
  private dropEmptyNames(): void {
    const o = this.offs;
    const n = this.nLabels;
    const empty = new Set<string>();
    for (let k = 0; k < n; k++) {
      if (o[k * 4 + 2] === o[k * 4 + 3]) empty.add(this.decodeName(o[k * 4]!, o[k * 4 + 1]!, this.lflags[k * 2]!));
    }
    for (let k = 0; k < n; k++) {
      if (empty.has(this.decodeName(o[k * 4]!, o[k * 4 + 1]!, this.lflags[k * 2]!))) this.lflags[k * 2 + 1]! |= F_DROP;
    }
  }

  private checkName(s: number, e: number, f: number, what: 'metric' | 'label'): void {
    if (e === s) throw this.fail('invalid_name', s, `empty ${what} name in series ${quoteBytes(this.b, this.sStart, this.sEnd)}`);
    if (f & F_NONASCII && !isValidUtf8(this.b, s, e)) {
      throw this.fail('invalid_utf8', s, `invalid UTF-8 ${what} name ${quoteBytes(this.b, s, e)}`);
    }
  }

  private duplicate(name: string): never {
    throw this.fail(
      'duplicate_label',
      this.sStart,
      `label name ${JSON.stringify(name)} is not unique in series ${quoteBytes(this.b, this.sStart, this.sEnd)}`,
    );
  }

  // ---- Decoding ----

  protected decodeName(s: number, e: number, f: number): string {
    if (f & F_ESC) return this.unescape(s, e, (f & F_NONASCII) === 0, true);
    return f & F_NONASCII ? decodeRange(this.b, s, e, false) : internAscii(this.b, s, e);
  }

  /** A label value: escapes resolved, ASCII answered from the intern cache. */
  protected decodeValue(s: number, e: number, f: number): string {
    if (f & F_ESC) return this.unescape(s, e, (f & F_NONASCII) === 0, true);
    return f & F_NONASCII ? decodeRange(this.b, s, e, false) : internAscii(this.b, s, e);
  }

  /**
   * Resolves escapes in `b[s, e)`: `\\` and `\n` always, `\"` when `quote` (label values; the text
   * format's HELP leaves `\"` alone). Any other backslash stays as written, as in Prometheus.
   */
  protected unescape(s: number, e: number, ascii: boolean, quote: boolean): string {
    if (this.scratch.length < e - s) this.scratch = Buffer.allocUnsafe(Math.max(e - s, this.scratch.length * 2));
    const b = this.b;
    const out = this.scratch;
    let j = 0;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0x5c && i + 1 < e) {
        const d = b[i + 1]!;
        if (d === 0x6e) {
          out[j++] = 0x0a;
          i++;
          continue;
        }
        if (d === 0x5c || (d === 0x22 && quote)) {
          out[j++] = d;
          i++;
          continue;
        }
      }
      out[j++] = c;
    }
    return decodeRange(out, 0, j, ascii);
  }

  // ---- Series accessors ----

  seriesStart(): number {
    return this.sStart;
  }

  seriesEnd(): number {
    return this.sEnd;
  }

  seriesKey(): string {
    return decodeRange(this.b, this.sStart, this.sEnd, true);
  }

  seriesHash(): number {
    // FNV-1a, 32 bit.
    let h = 0x811c9dc5;
    const b = this.b;
    for (let i = this.sStart; i < this.sEnd; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    return h >>> 0;
  }

  metricName(): string {
    if (this.identityPending) this.lexPendingIdentity();
    return this.decodeName(this.nameS, this.nameE, this.nameFlags);
  }

  labelCount(): number {
    if (this.identityPending) this.lexPendingIdentity();
    return this.nLabels + 1;
  }

  labelsInto(out: string[]): void {
    if (this.identityPending) this.lexPendingIdentity();
    out.length = 0;
    out.push(METRIC_NAME, this.metricName());
    const o = this.offs;
    const normLe = this.normalize && this.mtype === 'histogram';
    const normQ = this.normalize && this.mtype === 'summary';
    for (let k = 0; k < this.nLabels; k++) {
      if (this.lflags[k * 2 + 1]! & F_DROP) continue;
      const name = this.decodeName(o[k * 4]!, o[k * 4 + 1]!, this.lflags[k * 2]!);
      const vs = o[k * 4 + 2]!;
      const ve = o[k * 4 + 3]!;
      const vf = this.lflags[k * 2 + 1]!;
      let value = this.decodeValue(vs, ve, vf);
      if ((normLe && name === 'le') || (normQ && name === 'quantile')) {
        const f = vf & F_ESC ? undefined : parseGoFloat(this.b, vs, ve);
        if (f !== undefined) value = formatOpenMetricsFloat(f);
      }
      // Insertion sort by name: expositions are usually sorted already, so this is one compare per label.
      let at = out.length;
      out.push(name, value);
      while (at > 0 && out[at - 2]! > name) {
        out[at] = out[at - 2]!;
        out[at + 1] = out[at - 1]!;
        at -= 2;
      }
      out[at] = name;
      out[at + 1] = value;
    }
    // Prometheus treats an empty value as an absent label.
    let w = 0;
    for (let r = 0; r < out.length; r += 2) {
      if (out[r + 1] === '') continue;
      if (w !== r) {
        out[w] = out[r]!;
        out[w + 1] = out[r + 1]!;
      }
      w += 2;
    }
    out.length = w;
  }

  labels(): Labels {
    this.labelsInto(this.kv);
    return Labels.unsafeFromSorted(this.kv.slice());
  }

  value(): number {
    return this.val;
  }

  hasTimestamp(): boolean {
    return this.hasTs;
  }

  timestamp(): number {
    return this.hasTs ? this.ts : 0;
  }

  createdTimestamp(): number {
    return 0;
  }

  exemplar(): Exemplar | null {
    if (!this.hasEx) return null;
    const pairs: [string, string][] = [];
    for (let k = 0; k < this.exN; k++) {
      const o = this.exOffs;
      const vf = this.exFlags[k * 2 + 1]!;
      const vs = o[k * 4 + 2]!;
      const ve = o[k * 4 + 3]!;
      pairs.push([
        this.decodeName(o[k * 4]!, o[k * 4 + 1]!, this.exFlags[k * 2]!),
        this.decodeValue(vs, ve, vf),
      ]);
    }
    return { labels: Labels.from(pairs), value: this.exVal, hasTimestamp: this.exHasTs, timestamp: this.exHasTs ? this.exTs : 0 };
  }

  // ---- Metadata accessors ----

  metaName(): string {
    return this.decodeName(this.metaS, this.metaE, this.metaFlags);
  }

  metaStart(): number {
    // A quoted name starts at its quote, so `"a" x` and `a" x` never compare equal.
    return this.metaFlags & F_QUOTED ? this.metaS - 1 : this.metaS;
  }

  metaEnd(): number {
    return this.textE;
  }

  metricType(): MetricType {
    return this.mtype;
  }

  helpText(): string {
    const f = this.textFlags;
    if (f & F_ESC) return this.unescape(this.textS, this.textE, (f & F_NONASCII) === 0, this.format === 'openmetrics');
    return decodeRange(this.b, this.textS, this.textE, (f & F_NONASCII) === 0);
  }

  unit(): string {
    return this.unitStr;
  }

  comment(): string {
    return decodeRange(this.b, this.textS, this.textE, (this.textFlags & F_NONASCII) === 0);
  }

  /** Flags (escape, non-ASCII) of `b[s, e)`, for metadata text. */
  protected scanFlags(s: number, e: number): number {
    let f = 0;
    const b = this.b;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0x5c) f |= F_ESC;
      else if (c >= 0x80) f |= F_NONASCII;
    }
    return f;
  }
}

function bytesEqual(b: Uint8Array, x: number, y: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

function bytesEqualArr(b: Uint8Array, x: number, arr: readonly number[]): boolean {
  for (let i = 0; i < arr.length; i++) if (b[x + i] !== arr[i]) return false;
  return true;
}
