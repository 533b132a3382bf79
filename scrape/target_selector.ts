/**
 * The `match_target` selector of `/api/v1/targets/metadata`: label matchers in braces,
 * `{job="api", instance=~"10\\..*"}`, with PromQL's operators and string escapes
 * (double, single or back quotes). Only what that parameter needs: no metric name, no
 * functions.
 */
import { MatchType, Matcher, RegexpError } from '../tsdb/matcher.js';

/** A malformed selector; the message says what was expected at which column. */
export class SelectorError extends Error {
  readonly code = 'bad_selector';
  constructor(selector: string, col: number, detail: string) {
    super(`1:${col + 1}: parse error in ${JSON.stringify(selector)}: ${detail}`);
    this.name = 'SelectorError';
  }
}

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OPS: readonly [string, MatchType][] = [
  ['=~', MatchType.Regexp],
  ['!~', MatchType.NotRegexp],
  ['!=', MatchType.NotEqual],
  ['=', MatchType.Equal],
];
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '`': '`', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Parses a `{...}` matcher list. Throws `SelectorError`. */
export function parseTargetSelector(s: string): Matcher[] {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const fail = (detail: string): never => {
    throw new SelectorError(s, i, detail);
  };
  ws();
  if (s[i] !== '{') fail(`expected "{", found ${s[i] === undefined ? 'end of input' : JSON.stringify(s[i])}`);
  i++;
  const out: Matcher[] = [];
  for (;;) {
    ws();
    if (s[i] === '}') {
      i++;
      break;
    }
    NAME.lastIndex = i;
    const m = NAME.exec(s);
    if (m === null) fail('expected a label name');
    const name = m![0];
    i += name.length;
    ws();
    const op = OPS.find(([t]) => s.startsWith(t, i));
    if (op === undefined) fail(`expected a matching operator (=, !=, =~, !~) after ${name}`);
    i += op![0].length;
    ws();
    const q = s[i];
    if (q !== '"' && q !== "'" && q !== '`') fail('expected a quoted string');
    i++;
    let v = '';
    while (i < s.length && s[i] !== q) {
      if (s[i] === '\\' && q !== '`') {
        const e = ESCAPES[s[i + 1] ?? ''];
        if (e === undefined) fail(`unknown escape sequence \\${s[i + 1] ?? ''}`);
        v += e;
        i += 2;
      } else v += s[i++];
    }
    if (s[i] !== q) fail('unterminated quoted string');
    i++;
    try {
      out.push(new Matcher(op![1], name, v));
    } catch (e) {
      if (e instanceof RegexpError) fail(e.message);
      throw e;
    }
    ws();
    if (s[i] === ',') i++;
    else if (s[i] !== '}') fail('expected "," or "}"');
  }
  ws();
  if (i < s.length) fail('unexpected characters after "}"');
  return out;
}
