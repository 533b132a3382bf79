/**
 * The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`), parsed
 * byte by byte with exactly the leniency of Prometheus's `promparse`/`promlex`:
 * blanks (spaces, tabs) may surround every token (but a line may not start with
 * blanks before a bare metric name: Prometheus keeps them in the name and rejects it), a trailing comma and even a
 * missing comma between labels are accepted, names may be quoted UTF-8 inside the
 * braces (`{"my.metric", "a.b"="x"} 1`, Prometheus 3), timestamps are integer
 * milliseconds (digits only), the last line needs no newline, and a NUL byte where a
 * line would start ends the body (the lexer treats it as end of input). A carriage
 * return is an ordinary byte, so Windows line endings fail the first sample or TYPE
 * line, as they do in Prometheus.
 */
import { parseDigitsInt64, parseGoFloat } from './_float.js';
import { C_DIGIT, C_LNAME, C_LNAME_START, C_NAME, C_NAME_START, CC, F_NONASCII, F_QUOTED, ParserBase } from './_parser_base.js';
import { isValidUtf8 } from './_utf8.js';
import { quoteBytes } from './parse_error.js';
import { Entry, type MetricType, type ParserOptions } from './parser.js';

const HELP = 0x504c4548; // "HELP" little-endian
const TYPE = 0x45505954; // "TYPE"

/** A pull parser for the Prometheus text format. See `ExpositionParser` for the contract. */
export class TextParser extends ParserBase {
  constructor(body: Uint8Array, opts: ParserOptions = {}) {
    super(body, 'text', opts);
  }

  next(): Entry {
    if (this.failed !== null) throw this.failed;
    const b = this.b;
    const n = this.n;
    this.hasEx = false;
    for (;;) {
      let i = this.pos;
      this.entryLine = this.lineNo;
      while (i < n && (b[i] === 0x20 || b[i] === 0x09)) i++;
      if (i >= n) {
        this.pos = n;
        return Entry.EOF;
      }
      const c = b[i]!;
      if (c === 0x0a) {
        this.endLine(i);
        continue;
      }
      if (CC[c]! & C_NAME_START) {
        if (i !== this.pos) {
          // Prometheus keeps the leading blanks in the metric name, which then fails validation.
          let e = i + 1;
          while (e < n && CC[b[e]!]! & C_NAME) e++;
          throw this.fail('invalid_name', this.pos, `invalid metric name ${quoteBytes(b, this.pos, e)}: a line must not start with blanks before the metric name`);
        }
        return this.series(i);
      }
      if (c === 0x7b) return this.series(i);
      if (c === 0x23) return this.hashLine(i);
      if (c === 0) {
        // Prometheus's lexer reads a NUL at the start of a token as the end of the input.
        this.pos = n;
        return Entry.EOF;
      }
      throw this.fail('syntax', i, `expected a valid start token, got ${this.got(i)}`);
    }
  }

  /** Moves past the newline at `i` (or to the end of the body). */
  private endLine(i: number): void {
    if (i < this.n) {
      this.pos = i + 1;
      this.lineNo++;
      this.lineStart = i + 1;
    } else this.pos = this.n;
  }

  /**
   * Hint for the next series line: its identity is probably `key`, bytes this parser accepted
   * as a series identity before. See `ExpositionParser.expect`.
   */
  override expect(key: Uint8Array | null): void {
    this.expectKey = key;
  }

  override expectedHit(): boolean {
    return this.expectHit;
  }

  /**
   * Whether the series at `i` has exactly the identity `key` — the bytes match and the lexer
   * would end the identity where `key` ends — so lexing it again would give the same result.
   * Keys holding a newline (inside a quoted value) are refused, to keep line numbers exact.
   */
  private matchesKey(i: number, key: Uint8Array): boolean {
    const b = this.b;
    const n = this.n;
    const len = key.length;
    if (len === 0 || i + len > n) return false;
    for (let k = 0; k < len; k++) {
      const c = key[k]!;
      if (c !== b[i + k] || c === 0x0a) return false;
    }
    // An identity ends with its label block's `}`, or with its name: then no name byte may
    // follow, nor (after blanks) a label block.
    if (key[len - 1] === 0x7d) return true;
    const e = i + len;
    if (e < n && CC[b[e]!]! & C_NAME) return false;
    const k = skipBlanks(b, e, n);
    return !(k < n && b[k] === 0x7b);
  }

  /** Lexes the identity of a series matched by `expect` when an accessor needs its parts. */
  protected override lexPendingIdentity(): void {
    this.identityPending = false;
    this.lexIdentity(this.sStart);
  }

  private series(i: number): Entry {
    const key = this.expectKey;
    this.expectKey = null;
    if (key !== null && this.matchesKey(i, key)) {
      this.sStart = i;
      this.sEnd = i + key.length;
      this.identityPending = true;
      this.expectHit = true;
      this.hasTs = false;
      return this.sampleRest(this.sEnd);
    }
    this.identityPending = false;
    this.expectHit = false;
    this.hasTs = false;
    return this.sampleRest(this.lexIdentity(i));
  }

  /** Lexes and checks the series identity (name and label block) starting at `i`; returns the index after it. */
  private lexIdentity(i: number): number {
    const b = this.b;
    const n = this.n;
    this.sStart = i;
    this.nLabels = 0;
    this.nameS = -1;
    this.nameE = -1;
    this.nameFlags = 0;
    if (b[i] !== 0x7b) {
      let j = i + 1;
      while (j < n && CC[b[j]!]! & C_NAME) j++;
      this.nameS = i;
      this.nameE = j;
      this.sEnd = j;
      i = j;
      let k = skipBlanks(b, j, n);
      if (k < n && b[k] === 0x7b) {
        k = this.labelBlock(k);
        this.sEnd = k;
        i = k;
      }
    } else {
      i = this.labelBlock(i);
      this.sEnd = i;
      if (this.nameS < 0) {
        throw this.fail('metric_name', this.sStart, `metric name not set in series ${quoteBytes(b, this.sStart, i)}`);
      }
    }
    this.checkSeries();
    return i;
  }

  /** Parses the value and optional timestamp after the identity ending at `i`, and ends the line. */
  private sampleRest(i: number): Entry {
    const b = this.b;
    const n = this.n;
    // Value: any run of bytes up to a blank, newline, `{` or NUL (promlex `[^{ \t\n]+`).
    i = skipBlanks(b, i, n);
    const vs = i;
    while (i < n) {
      const c = b[i]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x7b || c === 0) break;
      i++;
    }
    if (i === vs) throw this.fail('syntax', vs, `expected value after metric, got ${this.got(vs)}`);
    const v = parseGoFloat(b, vs, i);
    if (v === undefined) throw this.fail('invalid_value', vs, `expected float as value, got ${quoteBytes(b, vs, i)}`);
    this.val = v;

    i = skipBlanks(b, i, n);
    if (i < n && b[i] !== 0x0a) {
      if (!(CC[b[i]!]! & C_DIGIT)) throw this.fail('syntax', i, `expected timestamp or new record, got ${this.got(i)}`);
      const ts0 = i;
      while (i < n && CC[b[i]!]! & C_DIGIT) i++;
      const t = parseDigitsInt64(b, ts0, i);
      if (t === undefined) throw this.fail('invalid_timestamp', ts0, `timestamp ${quoteBytes(b, ts0, i)} is out of the int64 range`);
      this.ts = t;
      this.hasTs = true;
      i = skipBlanks(b, i, n);
      if (i < n && b[i] !== 0x0a) throw this.fail('syntax', i, `expected next entry after timestamp, got ${this.got(i)}`);
    }
    this.endLine(i);
    return Entry.Series;
  }

  /** Parses `{…}` starting at the `{` at `i`; returns the index after `}`. */
  private labelBlock(i: number): number {
    const b = this.b;
    const n = this.n;
    i++;
    for (;;) {
      i = skipBlanks(b, i, n);
      if (i >= n) throw this.fail('syntax', i, 'expected label name, got end of input');
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
        const e = this.scanQuoted(i, true);
        if (e < 0) throw this.fail('syntax', i, `expected label name, got unterminated string ${this.got(i)}`);
        nf = this.qFlags | F_QUOTED;
        i = e;
        ne = e;
      } else throw this.fail('syntax', i, `expected label name, got ${this.got(i)}`);
      i = skipBlanks(b, i, n);
      c = i < n ? b[i]! : 0x0a;
      if (nf & F_QUOTED && (c === 0x2c || c === 0x7d)) {
        // A lone quoted string is the metric name.
        if (this.nameS >= 0) throw this.fail('metric_name', ns, `metric name already set in series ${quoteBytes(b, this.sStart, i + 1)}`);
        this.nameS = ns + 1;
        this.nameE = ne - 1;
        this.nameFlags = nf;
        if (c === 0x7d) return i + 1;
        i++;
        continue;
      }
      if (c !== 0x3d) throw this.fail('syntax', i, `expected equal, got ${this.got(i)}`);
      i = skipBlanks(b, i + 1, n);
      if (i >= n || b[i] !== 0x22) throw this.fail('syntax', i, `expected label value, got ${this.got(i)}`);
      const e = this.scanQuoted(i, true);
      if (e < 0) throw this.fail('syntax', i, `expected label value, got unterminated string ${this.got(i)}`);
      const vf = this.qFlags;
      if (vf & F_NONASCII && !isValidUtf8(b, i + 1, e - 1)) {
        throw this.fail('invalid_utf8', i, `invalid UTF-8 label value ${quoteBytes(b, i, e)}`);
      }
      if (nf & F_QUOTED) this.pushLabel(ns + 1, ne - 1, nf, i + 1, e - 1, vf);
      else this.pushLabel(ns, ne, 0, i + 1, e - 1, vf);
      i = skipBlanks(b, e, n);
      // Prometheus accepts a trailing comma, and (by accident of its grammar) no comma at all.
      if (i < n && b[i] === 0x2c) i++;
    }
  }

  /** A line starting with `#`: HELP, TYPE or a comment. */
  private hashLine(i: number): Entry {
    const b = this.b;
    const n = this.n;
    let j = i + 1;
    if (j < n && (b[j] === 0x20 || b[j] === 0x09)) {
      j = skipBlanks(b, j, n);
      if (j + 4 < n && (b[j + 4] === 0x20 || b[j + 4] === 0x09)) {
        const word = b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
        if (word === HELP || word === TYPE) return this.meta(skipBlanks(b, j + 4, n), word === HELP);
      }
    }
    let e = b.indexOf(0x0a, i);
    if (e < 0) e = n;
    this.textS = i;
    this.textE = e;
    this.textFlags = this.scanFlags(i, e);
    this.endLine(e);
    return Entry.Comment;
  }

  private meta(j: number, help: boolean): Entry {
    const b = this.b;
    const n = this.n;
    const c = j < n ? b[j]! : 0x0a;
    if (c === 0x22) {
      const e = this.scanQuoted(j, true);
      if (e < 0) throw this.fail('syntax', j, `expected metric name after ${help ? 'HELP' : 'TYPE'}, got ${this.got(j)}`);
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
    } else throw this.fail('syntax', j, `expected metric name after ${help ? 'HELP' : 'TYPE'}, got ${this.got(j)}`);
    let e = b.indexOf(0x0a, j);
    if (e < 0) e = n;
    // promlex: blanks alone are skipped (empty text); otherwise the text is the rest of the line
    // minus its first byte, the separator.
    let ts = e;
    for (let k = j; k < e; k++) {
      if (b[k] !== 0x20 && b[k] !== 0x09) {
        ts = j + 1;
        break;
      }
    }
    this.textS = ts;
    this.textE = e;
    this.textFlags = this.scanFlags(ts, e);
    if (help) {
      if (this.textFlags & F_NONASCII && !isValidUtf8(b, ts, e)) {
        throw this.fail('invalid_utf8', ts, `help text ${quoteBytes(b, ts, e)} is not a valid UTF-8 string`);
      }
      this.endLine(e);
      return Entry.Help;
    }
    const t = typeWord(b, ts, e);
    if (t === null) throw this.fail('invalid_type', ts, `invalid metric type ${quoteBytes(b, ts, e)}`);
    this.mtype = t;
    this.endLine(e);
    return Entry.Type;
  }
}

function skipBlanks(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

const TYPES: readonly [string, MetricType][] = [
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['summary', 'summary'],
  ['untyped', 'unknown'],
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
