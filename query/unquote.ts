/**
 * PromQL string literals: Go quoting rules, as Prometheus's lexer validates them
 * (`lexEscape`) and `strutil.Unquote` decodes them. `"…"` and `'…'` take the escapes
 * `\a \b \f \n \r \t \v \\`, the escaped own quote, octal `\NNN` (≤ 255), `\xNN`,
 * `\uNNNN`, `\UNNNNNNNN`; `` `…` `` is raw.
 *
 * Go strings are bytes, so `"\xc5"` is a one-byte string that is not valid UTF-8.
 * Byte escapes are decoded as UTF-8 here; bytes that do not form valid UTF-8 are kept
 * as lone surrogates U+DC80..U+DCFF ("surrogateescape"), which label validation
 * (`isValidLabelName`) rejects and `goQuote` prints back as `\xNN`, as Prometheus does.
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
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += decodeBytes(bytes);
    bytes = [];
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c !== '\\') {
      flush();
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
      flush();
      out += simple;
      i++;
      continue;
    }
    if (e === q) {
      flush();
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
    if (max === 255) {
      // Octal and \x escapes are single bytes.
      bytes.push(x);
      continue;
    }
    flush();
    out += String.fromCodePoint(x);
  }
  flush();
  return out;
}

/** Decodes UTF-8 bytes; each byte that is not part of a valid sequence becomes U+DC00+byte. */
function decodeBytes(b: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    let cp = n === 4 ? c & 0x07 : n === 3 ? c & 0x0f : c & 0x1f;
    let ok = n > 0 && i + n <= b.length && !(n === 3 && c > 0xef);
    for (let k = 1; ok && k < n; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values beyond U+10FFFF, as Go's decoder does.
    if (ok && ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
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
    else if (cp >= 0xdc80 && cp <= 0xdcff) out += '\\x' + (cp - 0xdc00).toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}
