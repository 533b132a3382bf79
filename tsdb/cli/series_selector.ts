/**
 * Parses a PromQL series selector (`name{a="b", c=~"d"}`, `{__name__=~'(?s:.*)'}`)
 * into matchers, for `vigil tsdb dump --match`. Strings may use double quotes,
 * single quotes or backticks (raw), with Go escapes in the quoted forms. This is
 * the selector subset of PromQL; the full parser lives in query/.
 */
import { MatchType, Matcher } from '../matcher.js';

/** A selector that does not parse; the message gives the column. */
export class SelectorParseError extends Error {
  readonly code = 'bad_selector';
  constructor(input: string, col: number, msg: string) {
    super(`invalid series selector ${JSON.stringify(input)}: 1:${col}: ${msg}`);
    this.name = 'SelectorParseError';
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

export function parseSeriesSelector(input: string): Matcher[] {
  let i = 0;
  const s = input;
  const fail = (msg: string): never => {
    throw new SelectorParseError(input, i + 1, msg);
  };
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const ident = (re: RegExp): string => {
    const m = re.exec(s.slice(i));
    if (m === null) return '';
    i += m[0].length;
    return m[0];
  };
  const str = (): string => {
    const q = s[i];
    if (q !== '"' && q !== "'" && q !== '`') fail('expected a quoted string');
    i++;
    let out = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) fail('unterminated string');
      if (c === q) break;
      if (c === '\\' && q !== '`') {
        const n = s[i + 1] ?? '';
        const e = ESCAPES[n];
        if (e === undefined) fail(`unknown escape sequence \\${n}`);
        out += e;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    i++;
    return out;
  };
  const ms: Matcher[] = [];
  ws();
  const name = ident(/^[a-zA-Z_:][a-zA-Z0-9_:]*/);
  if (name !== '') ms.push(new Matcher(MatchType.Equal, '__name__', name));
  ws();
  if (s[i] === '{') {
    i++;
    ws();
    while (s[i] !== '}') {
      if (i >= s.length) fail('unterminated label matchers');
      const ln = s[i] === '"' ? str() : ident(/^[a-zA-Z_][a-zA-Z0-9_]*/);
      if (ln === '') fail('expected a label name');
      ws();
      const op = ident(/^(=~|!~|!=|=)/);
      if (op === '') fail('expected one of =, !=, =~, !~');
      ws();
      const v = str();
      ms.push(new Matcher(op as MatchType, ln, v));
      ws();
      if (s[i] === ',') {
        i++;
        ws();
      } else if (s[i] !== '}') fail('expected "," or "}"');
    }
    i++;
  }
  ws();
  if (i < s.length) fail(`unexpected ${JSON.stringify(s.slice(i))}`);
  if (ms.length === 0) fail('a selector needs a metric name or label matchers');
  return ms;
}
