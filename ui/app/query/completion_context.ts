/**
 * Where the cursor is in a PromQL expression, for autocomplete: typing a metric
 * or function name, a label name (inside `{…}` or `by (…)`), or a label value
 * (inside a quoted string after `label=`). A small scanner over the text before
 * the cursor; it does not need a valid expression.
 */

/** The completion context at the cursor. `from` is where the replaced text starts. */
export type CompletionContext =
  | { readonly kind: 'metric'; readonly prefix: string; readonly from: number }
  | { readonly kind: 'labelName'; readonly metric: string; readonly prefix: string; readonly from: number }
  | { readonly kind: 'labelValue'; readonly metric: string; readonly label: string; readonly prefix: string; readonly from: number }
  | { readonly kind: 'none' };

const NONE: CompletionContext = { kind: 'none' };
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT_CHAR = /[A-Za-z0-9_:]/;
const IDENT_START = /[A-Za-z_:]/;

/** The identifier ending just before `end` (skipping spaces), or ''. */
function identBefore(text: string, end: number): string {
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1] ?? '')) e--;
  let s = e;
  while (s > 0 && IDENT_CHAR.test(text[s - 1] ?? '')) s--;
  return text.slice(s, e);
}

/** The completion context of `text` with the cursor at `cursor` (a UTF-16 offset). */
export function completionContext(text: string, cursor: number): CompletionContext {
  const t = text.slice(0, cursor);
  let quote = '';
  let strStart = -1;
  let brace = -1;
  let bracket = false;
  // Stack of open parentheses; true for grouping lists (`by (`…).
  const parens: boolean[] = [];
  for (let i = 0; i < t.length; i++) {
    const c = t[i] ?? '';
    if (quote !== '') {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '#') {
      const nl = t.indexOf('\n', i);
      if (nl < 0) return NONE;
      i = nl;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      strStart = i;
    } else if (c === '{') brace = i;
    else if (c === '}') brace = -1;
    else if (c === '[') bracket = true;
    else if (c === ']') bracket = false;
    else if (c === '(') parens.push(GROUPING.has(identBefore(t, i)));
    else if (c === ')') parens.pop();
  }
  if (bracket) return NONE;
  if (quote !== '') {
    if (brace < 0) return NONE;
    // `label <op> "prefix`: find the operator and the label name before the string.
    let j = strStart;
    while (j > 0 && /\s/.test(t[j - 1] ?? '')) j--;
    while (j > 0 && /[=!~]/.test(t[j - 1] ?? '')) j--;
    const label = identBefore(t, j);
    if (label === '') return NONE;
    return { kind: 'labelValue', metric: identBefore(t, brace), label, prefix: t.slice(strStart + 1), from: strStart + 1 };
  }
  let s = t.length;
  while (s > 0 && IDENT_CHAR.test(t[s - 1] ?? '')) s--;
  const word = t.slice(s);
  if (word !== '' && !IDENT_START.test(word[0] ?? '')) return NONE;
  if (brace >= 0) {
    // Only at the start of a matcher: after `{`, `,` or spaces.
    let k = s;
    while (k > 0 && /\s/.test(t[k - 1] ?? '')) k--;
    const before = t[k - 1] ?? '';
    if (before !== '{' && before !== ',') return NONE;
    return { kind: 'labelName', metric: identBefore(t, brace), prefix: word, from: s };
  }
  if (parens.length > 0 && parens[parens.length - 1] === true) return { kind: 'labelName', metric: '', prefix: word, from: s };
  if (word === '') return NONE;
  // A number's exponent or a duration unit is not a name.
  if (/[0-9.]/.test(t[s - 1] ?? '')) return NONE;
  return { kind: 'metric', prefix: word, from: s };
}
