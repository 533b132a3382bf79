/**
 * PromQL string literals: Go quoting rules, as Prometheus's lexer validates them
 * (`lexEscape`) and `strutil.Unquote` decodes them. `"…"` and `'…'` take the escapes
 * `\a \b \f \n \r \t \v \\`, the escaped own quote, octal `\NNN` (≤ 255), `\xNN`,
 * `\uNNNN`, `\UNNNNNNNN`; `` `…` `` is raw.
 */

/** A malformed escape; `offset` is the index in the token where the problem is. */
export class UnquoteError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'UnquoteError';
    this.offset = offset;
  }
}

const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Go's `%#U` rendering of a character: `U+0071 'q'`. */
function goRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}

function digitVal(c: string): number {
  const x = c.charCodeAt(0);
  if (x >= 48 && x <= 57) return x - 48;
  if (x >= 97 && x <= 102) return x - 87;
  if (x >= 65 && x <= 70) return x - 55;
  return 16;
}

/**
 * Decodes a quoted PromQL string token (including its quotes). Throws UnquoteError
 * with Prometheus's lexer messages for bad escapes.
 */
export function unquote(token: string): string {
  const q = token[0]!;
  const body = token.slice(1, -1);
  if (q === '`') return body;
  if (!body.includes('\\')) return body;
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const escStart = i + 1; // offset in token of the backslash is i + 1
    i++;
    if (i >= body.length) throw new UnquoteError('escape sequence not terminated', escStart);
    const e = body[i]!;
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    if (e === q) {
      out += q;
      i++;
      continue;
    }
    let n = 0;
    let base = 0;
    let max = 0;
    if (e >= '0' && e <= '7') {
      n = 3;
      base = 8;
      max = 255;
    } else if (e === 'x') {
      n = 2;
      base = 16;
      max = 255;
      i++;
    } else if (e === 'u') {
      n = 4;
      base = 16;
      max = 0x10ffff;
      i++;
    } else if (e === 'U') {
      n = 8;
      base = 16;
      max = 0x10ffff;
      i++;
    } else {
      throw new UnquoteError(`unknown escape sequence ${goRune(String.fromCodePoint(body.codePointAt(i)!))}`, escStart);
    }
    let x = 0;
    for (let k = 0; k < n; k++, i++) {
      if (i >= body.length) throw new UnquoteError('escape sequence not terminated', escStart);
      const d = digitVal(body[i]!);
      if (d >= base) throw new UnquoteError(`illegal character ${goRune(String.fromCodePoint(body.codePointAt(i)!))} in escape sequence`, escStart);
      x = x * base + d;
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) throw new UnquoteError('escape sequence is an invalid Unicode code point', escStart);
    // Octal and \x escapes are bytes in Go; for byte values < 0x80 they equal the code point.
    // Bytes >= 0x80 would form (possibly invalid) UTF-8 in Go; we map them to the code point.
    out += String.fromCodePoint(x);
  }
  return out;
}

/** Quotes a string like Go's `strconv.Quote` (double quotes, Go escapes, printable Unicode kept). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0x80 && cp < 0xa0) out += '\\u' + cp.toString(16).padStart(4, '0');
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}
