/**
 * OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`), parsed byte by byte
 * with the rules of Prometheus's `openmetricsparse`/`openmetricslex`: exactly one space
 * between tokens and none inside `{…}`, no blank lines, no comments other than
 * `# HELP`, `# TYPE`, `# UNIT` and the mandatory final `# EOF` (optionally followed by
 * one newline, then nothing), float timestamps in seconds (converted to milliseconds by
 * truncation, as Prometheus does), and exemplars after ` # `. Like Prometheus it does not
 * enforce the spec's semantic rules (family grouping, bucket order, counter suffixes);
 * those are the exporter's business and Prometheus stores such data anyway.
 */
import { parseGoFloat } from './_float.js';
import { C_LNAME, C_LNAME_START, C_NAME, C_NAME_START, CC, F_NONASCII, F_QUOTED, ParserBase } from './_parser_base.js';
import { decodeRange, isValidUtf8 } from './_utf8.js';
import { ParseError, quoteBytes } from './parse_error.js';
import { Entry, type MetricType, type ParserOptions } from './parser.js';

const CREATED = [0x5f, 0x63, 0x72, 0x65, 0x61, 0x74, 0x65, 0x64]; // "_created"
const LE = [0x6c, 0x65]; // "le"
const QUANTILE = [0x71, 0x75, 0x61, 0x6e, 0x74, 0x69, 0x6c, 0x65]; // "quantile"

function bytesAt(b: Uint8Array, at: number, word: readonly number[]): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

/** A pull parser for OpenMetrics text. See `ExpositionParser` for the contract. */
export class OpenMetricsParser extends ParserBase {
  private readonly keepExemplars: boolean;
  private readonly skipCreated: boolean;
  private done: boolean;
  /** Reads ahead for `createdTimestamp` (created on first use). */
  private peeker: OpenMetricsParser | null;
  /** The last family key `createdTimestamp` resolved, and its value. */
  private ctKey: string | null;
  private ctValue: number;

  constructor(body: Uint8Array, opts: ParserOptions = {}) {
    super(body, 'openmetrics', opts);
    this.keepExemplars = opts.exemplars ?? true;
    this.skipCreated = opts.skipCreatedSeries ?? false;
    this.done = false;
    this.peeker = null;
    this.ctKey = null;
    this.ctValue = 0;
  }

  next(): Entry {
    if (this.failed !== null) throw this.failed;
    if (this.done) return Entry.EOF;
    const b = this.b;
    const n = this.n;
    for (;;) {
      const i = this.pos;
      this.entryLine = this.lineNo;
      this.hasEx = false;
      if (i >= n) throw this.fail('missing_eof', i, 'data does not end with # EOF');
      const c = b[i]!;
      if (CC[c]! & C_NAME_START || c === 0x7b) {
        this.series(i);
        if (this.skipCreated && this.isCreatedSeries()) continue;
        return Entry.Series;
      }
      if (c === 0x23 && i + 1 < n && b[i + 1] === 0x20) return this.hashLine(i + 2);
      throw this.fail('syntax', i, `expected a valid start token, got ${this.got(i)}`);
    }
  }

  override createdTimestamp(): number {
    const t = this.mtype;
    if (t !== 'counter' && t !== 'histogram' && t !== 'summary') return 0;
    // Like Prometheus: the family is the series name cut to the length of the last metadata name.
    const nameLen = Math.min(this.nameE - this.nameS, this.metaE - this.metaS);
    const key = this.familyKey(this.nameS, this.nameS + nameLen);
    if (key === this.ctKey) return this.ctValue;
    this.ctKey = null;
    let p = this.peeker;
    if (p === null) this.peeker = p = new OpenMetricsParser(this.b, { exemplars: false });
    p.pos = this.pos;
    p.lineNo = this.lineNo;
    p.lineStart = this.lineStart;
    p.failed = null;
    p.done = false;
    p.mtype = this.mtype;
    try {
      for (;;) {
        if (p.next() !== Entry.Series) return 0; // metadata or the end: another family
        const s = p.nameE - 8;
        if (s < p.nameS || !bytesAt(p.b, s, CREATED)) continue;
        // The first _created line decides: ours, or another series' (then we have none).
        if (p.familyKey(p.nameS, s) !== key) return 0;
        if (!Number.isFinite(p.val)) return 0; // NaN/Inf seconds are no time at all
        this.ctKey = key;
        this.ctValue = Math.trunc(p.val * 1000);
        return this.ctValue;
      }
    } catch (e) {
      if (e instanceof ParseError) return 0; // the scrape fails later anyway
      throw e;
    }
  }

  /** Family name plus the label pairs in exposition order, without `le` (histograms) or `quantile` (summaries). */
  private familyKey(ns: number, ne: number): string {
    const b = this.b;
    let key = decodeRange(b, ns, ne, true);
    const skip = this.mtype === 'histogram' ? LE : this.mtype === 'summary' ? QUANTILE : null;
    const o = this.offs;
    for (let k = 0; k < this.nLabels; k++) {
      const s = o[k * 4]!;
      const e = o[k * 4 + 1]!;
      if (skip !== null && e - s === skip.length && bytesAt(b, s, skip)) continue;
      key += `\xff${decodeRange(b, s, e, true)}\xfe${decodeRange(b, o[k * 4 + 2]!, o[k * 4 + 3]!, true)}`;
    }
    return key;
  }

  private endLine(i: number): void {
    this.pos = i + 1;
    this.lineNo++;
    this.lineStart = i + 1;
  }

  private missingEof(at: number): never {
    throw this.fail('missing_eof', at, 'data does not end with # EOF');
  }

  private isCreatedSeries(): boolean {
    const t = this.mtype;
    if (t !== 'counter' && t !== 'histogram' && t !== 'summary') return false;
    const s = this.nameE - 8;
    return s >= this.nameS && bytesAt(this.b, s, CREATED);
  }

  private series(i: number): void {
    const b = this.b;
    const n = this.n;
    this.sStart = i;
    this.nLabels = 0;
    this.nameS = -1;
    this.nameE = -1;
    this.nameFlags = 0;
    this.hasTs = false;
    if (b[i] !== 0x7b) {
      let j = i + 1;
      while (j < n && CC[b[j]!]! & C_NAME) j++;
      this.nameS = i;
      this.nameE = j;
      i = j;
      if (i < n && b[i] === 0x7b) i = this.labelBlock(i, false);
    } else {
      i = this.labelBlock(i, false);
      if (this.nameS < 0) throw this.fail('metric_name', this.sStart, `metric name not set in series ${quoteBytes(b, this.sStart, i)}`);
    }
    this.sEnd = i;
    this.checkSeries();

    // " <value>"
    let e = this.token(i);
    if (e < 0) throw this.fail(i >= n ? 'missing_eof' : 'syntax', i, `expected value after metric, got ${this.got(i)}`);
    const v = parseGoFloat(b, i + 1, e);
    if (v === undefined) throw this.fail('invalid_value', i + 1, `expected float as value, got ${quoteBytes(b, i + 1, e)}`);
    this.val = v;
    i = e;
    if (i >= n) this.missingEof(i);
    if (b[i] === 0x0a) {
      this.endLine(i);
      return;
    }
    if (this.exemplarStart(i)) {
      this.exemplarPart(i + 3);
      return;
    }
    e = this.token(i);
    if (e < 0) throw this.fail('syntax', i, `expected timestamp or new record, got ${this.got(i)}`);
    const t = parseGoFloat(b, i + 1, e);
    if (t === undefined) throw this.fail('invalid_timestamp', i + 1, `expected float seconds as timestamp, got ${quoteBytes(b, i + 1, e)}`);
    if (!Number.isFinite(t)) throw this.fail('invalid_timestamp', i + 1, `invalid timestamp ${quoteBytes(b, i + 1, e)}`);
    this.ts = Math.trunc(t * 1000);
    this.hasTs = true;
    i = e;
    if (i >= n) this.missingEof(i);
    if (b[i] === 0x0a) {
      this.endLine(i);
      return;
    }
    if (this.exemplarStart(i)) {
      this.exemplarPart(i + 3);
      return;
    }
    throw this.fail('syntax', i, `expected next entry after timestamp, got ${this.got(i)}`);
  }

  /** At `i` a space and a token of non-space, non-newline bytes: returns the token's end, or -1. */
  private token(i: number): number {
    const b = this.b;
    const n = this.n;
    if (i >= n || b[i] !== 0x20) return -1;
    let j = i + 1;
    while (j < n) {
      const c = b[j]!;
      if (c === 0x20 || c === 0x0a) break;
      j++;
    }
    return j === i + 1 ? -1 : j;
  }

  /** Whether ` # {` starts at `i`. */
  private exemplarStart(i: number): boolean {
    const b = this.b;
    return i + 3 < this.n && b[i] === 0x20 && b[i + 1] === 0x23 && b[i + 2] === 0x20 && b[i + 3] === 0x7b;
  }

  /** The exemplar after ` # `, starting at its `{`, up to and including the newline. */
  private exemplarPart(i: number): void {
    const b = this.b;
    const n = this.n;
    this.exN = 0;
    i = this.labelBlock(i, true);
    let e = this.token(i);
    if (e < 0) throw this.fail(i >= n ? 'missing_eof' : 'invalid_exemplar', i, `expected value after exemplar labels, got ${this.got(i)}`);
    const v = parseGoFloat(b, i + 1, e);
    if (v === undefined) throw this.fail('invalid_exemplar', i + 1, `expected float as exemplar value, got ${quoteBytes(b, i + 1, e)}`);
    this.exVal = v;
    this.exHasTs = false;
    i = e;
    if (i >= n) this.missingEof(i);
    if (b[i] !== 0x0a) {
      e = this.token(i);
      if (e < 0) throw this.fail('invalid_exemplar', i, `expected exemplar timestamp or new record, got ${this.got(i)}`);
      const t = parseGoFloat(b, i + 1, e);
      if (t === undefined || !Number.isFinite(t)) {
        throw this.fail('invalid_exemplar', i + 1, `invalid exemplar timestamp ${quoteBytes(b, i + 1, e)}`);
      }
      this.exTs = Math.trunc(t * 1000);
      this.exHasTs = true;
      i = e;
      if (i >= n) this.missingEof(i);
      if (b[i] !== 0x0a) throw this.fail('invalid_exemplar', i, `expected next entry after exemplar timestamp, got ${this.got(i)}`);
    }
    this.hasEx = this.keepExemplars;
    this.endLine(i);
  }

  /**
   * Parses `{…}` at `i` (no blanks allowed); returns the index after `}`. Exemplar labels go to
   * the exemplar arrays and may not carry a metric name.
   */
  private labelBlock(i: number, exemplar: boolean): number {
    const b = this.b;
    const n = this.n;
    i++;
    for (;;) {
      if (i >= n) this.missingEof(i);
      let c = b[i]!;
      if (c === 0x7d) return i + 1;
      const ns = i;
      let ne: number;
      let nf = 0;
      if (CC[c]! & C_LNAME_START) {
        let j = i + 1;
        while (j < n && CC[b[j]!]! & C_LNAME) j++;
        ne = j;
        i = j;
      } else if (c === 0x22) {
        const e = this.scanQuoted(i, false);
        if (e < 0) throw this.fail('syntax', i, `expected label name, got unterminated string ${this.got(i)}`);
        nf = this.qFlags | F_QUOTED;
        i = e;
        ne = e;
      } else throw this.fail('syntax', i, `expected label name, got ${this.got(i)}`);
      c = i < n ? b[i]! : 0x0a;
      if (nf & F_QUOTED && (c === 0x2c || c === 0x7d)) {
        if (exemplar) throw this.fail('invalid_exemplar', ns, `expected label name, got ${this.got(ns)}`);
        if (this.nameS >= 0) throw this.fail('metric_name', ns, `metric name already set in series ${quoteBytes(b, this.sStart, i + 1)}`);
        this.nameS = ns + 1;
        this.nameE = ne - 1;
        this.nameFlags = nf;
        if (c === 0x7d) return i + 1;
        i++;
        continue;
      }
      if (c !== 0x3d) throw this.fail('syntax', i, `expected equal, got ${this.got(i)}`);
      i++;
      if (i >= n || b[i] !== 0x22) throw this.fail('syntax', i, `expected label value, got ${this.got(i)}`);
      const e = this.scanQuoted(i, false);
      if (e < 0) throw this.fail('syntax', i, `expected label value, got unterminated string ${this.got(i)}`);
      const vf = this.qFlags;
      if (vf & F_NONASCII && !isValidUtf8(b, i + 1, e - 1)) {
        throw this.fail('invalid_utf8', i, `invalid UTF-8 label value ${quoteBytes(b, i, e)}`);
      }
      const s0 = nf & F_QUOTED ? ns + 1 : ns;
      const e0 = nf & F_QUOTED ? ne - 1 : ne;
      if (exemplar) this.pushExemplarLabel(s0, e0, nf, i + 1, e - 1, vf);
      else this.pushLabel(s0, e0, nf, i + 1, e - 1, vf);
      i = e;
      c = i < n ? b[i]! : 0x0a;
      if (c === 0x2c) i++;
      else if (c !== 0x7d) throw this.fail('syntax', i, `expected comma or brace close, got ${this.got(i)}`);
    }
  }

  /** After `# `: HELP, TYPE, UNIT or EOF. */
  private hashLine(j: number): Entry {
    const b = this.b;
    const n = this.n;
    if (j + 3 <= n && b[j] === 0x45 && b[j + 1] === 0x4f && b[j + 2] === 0x46) {
      let e = j + 3;
      if (e < n && b[e] === 0x0a) e++;
      if (e < n) throw this.fail('data_after_eof', e, `unexpected data after # EOF: ${this.got(e)}`);
      this.done = true;
      this.pos = n;
      return Entry.EOF;
    }
    let kind: Entry | null = null;
    if (j + 4 < n && b[j + 4] === 0x20) {
      const w = String.fromCharCode(b[j]!, b[j + 1]!, b[j + 2]!, b[j + 3]!);
      if (w === 'HELP') kind = Entry.Help;
      else if (w === 'TYPE') kind = Entry.Type;
      else if (w === 'UNIT') kind = Entry.Unit;
    }
    if (kind === null) throw this.fail('syntax', j - 2, `expected a valid start token, got ${this.got(j - 2)}`);
    const word = kind === Entry.Help ? 'HELP' : kind === Entry.Type ? 'TYPE' : 'UNIT';
    j += 5;
    const c = j < n ? b[j]! : 0x0a;
    if (c === 0x22) {
      const e = this.scanQuoted(j, true);
      if (e < 0) throw this.fail('syntax', j, `expected metric name after ${word}, got ${this.got(j)}`);
      this.metaS = j + 1;
      this.metaE = e - 1;
      this.metaFlags = this.qFlags | F_QUOTED;
      j = e;
    } else if (CC[c]! & C_NAME_START) {
      const s = j;
      j++;
      while (j < n && CC[b[j]!]! & C_NAME) j++;
      this.metaS = s;
      this.metaE = j;
      this.metaFlags = 0;
    } else throw this.fail('syntax', j, `expected metric name after ${word}, got ${this.got(j)}`);
    // " <text>\n"
    const e = b.indexOf(0x0a, j);
    if (j >= n || b[j] !== 0x20) throw this.fail('syntax', j, `expected text in ${word}, got ${this.got(j)}`);
    if (e < 0) this.missingEof(n);
    const ts = j + 1;
    this.textS = ts;
    this.textE = e;
    this.textFlags = this.scanFlags(ts, e);
    if (kind === Entry.Help) {
      if (this.textFlags & F_NONASCII && !isValidUtf8(b, ts, e)) {
        throw this.fail('invalid_utf8', ts, `help text ${quoteBytes(b, ts, e)} is not a valid UTF-8 string`);
      }
    } else if (kind === Entry.Type) {
      const t = typeWord(b, ts, e);
      if (t === null) throw this.fail('invalid_type', ts, `invalid metric type ${quoteBytes(b, ts, e)}`);
      this.mtype = t;
    } else {
      const ul = e - ts;
      // The unit must be a suffix of the family name, after an underscore.
      if (ul > 0) {
        const ms = this.metaS;
        const me = this.metaE;
        let ok = me - ms >= ul + 1 && b[me - ul - 1] === 0x5f;
        for (let k = 0; ok && k < ul; k++) if (b[me - ul + k] !== b[ts + k]) ok = false;
        if (!ok) {
          throw this.fail('invalid_unit', ts, `unit ${quoteBytes(b, ts, e)} not a suffix of metric ${quoteBytes(b, ms, me)}`);
        }
      }
      this.unitStr = this.comment();
    }
    this.endLine(e);
    return kind;
  }
}

const TYPES: readonly [string, MetricType][] = [
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['gaugehistogram', 'gaugehistogram'],
  ['summary', 'summary'],
  ['info', 'info'],
  ['stateset', 'stateset'],
  ['unknown', 'unknown'],
];

function typeWord(b: Uint8Array, s: number, e: number): MetricType | null {
  for (const [word, t] of TYPES) {
    if (word.length !== e - s) continue;
    let k = 0;
    while (k < word.length && b[s + k] === word.charCodeAt(k)) k++;
    if (k === word.length) return t;
  }
  return null;
}
