/**
 * Parses a PromQL series selector such as `up{job=~"api|web", env!="dev"}` into
 * matchers, for `match[]` parameters (federation). Only selectors: no offsets, ranges
 * or functions. Accepts double-, single- and back-quoted strings with Go escapes, the
 * quoted-name form `{"metric.name", a="b"}` and a trailing comma. Like Prometheus, at
 * least one matcher must not match the empty string.
 *
 * Stand-in until the query part exposes its parser's `parseMetricSelector`.
 */
import { METRIC_NAME } from '../labels.js';
import { MatchType, Matcher, RegexpError } from '../matcher.js';

/** A selector that does not parse; `message` reads `1:7: parse error: …` like Prometheus. */
export class SelectorParseError extends Error {
  readonly code = 'bad_selector';
  constructor(pos: number, why: string) {
    super(`1:${pos + 1}: parse error: ${why}`);
    this.name = 'SelectorParseError';
  }
}

const IDENT_START = /[A-Za-z_:]/;
const IDENT = /[A-Za-z0-9_:]/;
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.s[this.pos] ?? '';
  }

  ident(allowColon: boolean): string {
    this.skipSpace();
    const start = this.pos;
    if (this.pos < this.s.length && IDENT_START.test(this.s[this.pos]!) && (allowColon || this.s[this.pos] !== ':')) this.pos++;
    else return '';
    while (this.pos < this.s.length && IDENT.test(this.s[this.pos]!) && (allowColon || this.s[this.pos] !== ':')) this.pos++;
    return this.s.slice(start, this.pos);
  }

  string(): string {
    this.skipSpace();
    const q = this.s[this.pos];
    if (q !== '"' && q !== "'" && q !== '`') throw new SelectorParseError(this.pos, `unexpected ${this.describe()}, expected a quoted string`);
    const start = this.pos++;
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++]!;
      if (c === q) return out;
      if (c === '\\' && q !== '`') {
        const e = this.s[this.pos++] ?? '';
        if (e in ESCAPES) out += ESCAPES[e];
        else if (e === 'x' || e === 'u' || e === 'U') {
          const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = this.s.slice(this.pos, this.pos + n);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new SelectorParseError(this.pos, `invalid escape sequence \\${e}${hex}`);
          out += e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16));
          this.pos += n;
        } else throw new SelectorParseError(this.pos - 2, `unknown escape sequence \\${e}`);
      } else out += c;
    }
    throw new SelectorParseError(start, 'unterminated quoted string');
  }

  describe(): string {
    return this.pos >= this.s.length ? 'end of input' : JSON.stringify(this.s[this.pos]);
  }
}

/** Parses `text`; throws `SelectorParseError` (also for invalid regexes). */
export function parseMetricSelector(text: string): Matcher[] {
  const sc = new Scanner(text);
  const matchers: Matcher[] = [];
  const make = (type: MatchType, name: string, value: string, at: number): Matcher => {
    try {
      return new Matcher(type, name, value);
    } catch (e) {
      if (e instanceof RegexpError) throw new SelectorParseError(at, e.message);
      throw e;
    }
  };
  const name = sc.ident(true);
  if (name !== '') matchers.push(make(MatchType.Equal, METRIC_NAME, name, 0));
  if (sc.peek() === '{') {
    sc.pos++;
    while (sc.peek() !== '}') {
      const at = sc.pos;
      let label = sc.ident(false);
      const quoted = label === '' && (sc.peek() === '"' || sc.peek() === "'" || sc.peek() === '`');
      if (quoted) label = sc.string();
      else if (label === '') throw new SelectorParseError(sc.pos, `unexpected ${sc.describe()} in label matching, expected label name`);
      const c = sc.peek();
      if (quoted && (c === ',' || c === '}')) {
        // `{"metric.name"}`: a quoted metric name.
        matchers.push(make(MatchType.Equal, METRIC_NAME, label, at));
      } else {
        let op: MatchType;
        const two = sc.s.slice(sc.pos, sc.pos + 2);
        if (two === '!=') op = MatchType.NotEqual;
        else if (two === '=~') op = MatchType.Regexp;
        else if (two === '!~') op = MatchType.NotRegexp;
        else if (c === '=') op = MatchType.Equal;
        else throw new SelectorParseError(sc.pos, `unexpected ${sc.describe()} in label matching, expected one of "=", "!=", "=~" or "!~"`);
        sc.pos += op === MatchType.Equal ? 1 : 2;
        matchers.push(make(op, label, sc.string(), at));
      }
      const sep = sc.peek();
      if (sep === ',') sc.pos++;
      else if (sep !== '}') throw new SelectorParseError(sc.pos, `unexpected ${sc.describe()} in label matching, expected "," or "}"`);
    }
    sc.pos++;
  }
  sc.skipSpace();
  if (sc.pos < text.length) throw new SelectorParseError(sc.pos, `unexpected ${sc.describe()} after the selector`);
  if (matchers.length === 0) throw new SelectorParseError(0, 'unexpected end of input, expected a series selector');
  if (matchers.every((m) => m.matchesEmpty())) throw new SelectorParseError(0, 'vector selector must contain at least one non-empty matcher');
  return matchers;
}
