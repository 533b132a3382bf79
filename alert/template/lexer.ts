/**
 * Lexer for the Go `text/template` subset rule templates use: text, `{{ }}`
 * actions with trim markers (`{{- ` / ` -}}`), comments (`{{/* … *\/}}`), fields,
 * variables, identifiers, strings (interpreted, raw, char), numbers, `:=`, `=`,
 * `|`, `(`, `)`, `,`.
 */

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'field'
  | 'variable'
  | 'identifier'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'declare'
  | 'assign'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'comma'
  | 'dot'
  | 'space'
  | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly val: string;
  /** Offset in the template text. */
  readonly pos: number;
  /** 1-based line. */
  readonly line: number;
}

/** A lexing or parsing problem; the message is Go's (`template: NAME:LINE: …`). */
export class TemplateParseError extends Error {
  readonly code = 'template_parse';
  constructor(name: string, line: number, detail: string) {
    super(`template: ${name}:${line}: ${detail}`);
    this.name = 'TemplateParseError';
  }
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string): boolean {
  return /^[\p{L}\p{Nd}_]$/u.test(c);
}

/** Splits `text` into tokens. Throws `TemplateParseError` on unterminated constructs. */
export function lex(name: string, text: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  let line = 1;
  const lineAt = (p: number): number => {
    let l = line;
    for (let i = pos; i < p && i < text.length; i++) if (text[i] === '\n') l++;
    return l;
  };
  const emit = (type: TokenType, start: number, end: number): void => {
    out.push({ type, val: text.slice(start, end), pos: start, line: lineAt(start) });
  };
  const advance = (to: number): void => {
    for (let i = pos; i < to; i++) if (text[i] === '\n') line++;
    pos = to;
  };
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    if (open < 0) {
      out.push({ type: 'text', val: text.slice(pos), pos, line });
      advance(text.length);
      break;
    }
    let textEnd = open;
    const trimLeft = text[open + 2] === '-' && isSpace(text[open + 3] ?? '');
    if (trimLeft) while (textEnd > pos && isSpace(text[textEnd - 1]!)) textEnd--;
    if (textEnd > pos) out.push({ type: 'text', val: text.slice(pos, textEnd), pos, line });
    advance(open);
    const p = open + 2 + (trimLeft ? 2 : 0);
    // Comment.
    if (text.startsWith('/*', p)) {
      const end = text.indexOf('*/', p + 2);
      if (end < 0) throw new TemplateParseError(name, line, 'unclosed comment');
      let q = end + 2;
      let trimRight = false;
      if (text[q] === ' ' && text[q + 1] === '-' && text.startsWith('}}', q + 2)) {
        trimRight = true;
        q += 2;
      }
      if (!text.startsWith('}}', q)) throw new TemplateParseError(name, line, 'comment ends before closing delimiter');
      advance(q + 2);
      if (trimRight) while (pos < text.length && isSpace(text[pos]!)) advance(pos + 1);
      continue;
    }
    emit('leftDelim', open, p);
    advance(p);
    // Inside the action.
    let parenDepth = 0;
    for (;;) {
      if (pos >= text.length) throw new TemplateParseError(name, line, 'unclosed action');
      const c = text[pos]!;
      if (isSpace(c)) {
        let q = pos;
        while (q < text.length && isSpace(text[q]!)) q++;
        // ` -}}` right trim marker.
        if (text[q] === '-' && text.startsWith('}}', q + 1)) {
          emit('rightDelim', q, q + 3);
          advance(q + 3);
          while (pos < text.length && isSpace(text[pos]!)) advance(pos + 1);
          break;
        }
        emit('space', pos, q);
        advance(q);
        continue;
      }
      if (text.startsWith('}}', pos)) {
        if (parenDepth > 0) throw new TemplateParseError(name, line, 'unclosed left paren');
        emit('rightDelim', pos, pos + 2);
        advance(pos + 2);
        break;
      }
      if (c === ':') {
        if (text[pos + 1] !== '=') throw new TemplateParseError(name, line, 'expected :=');
        emit('declare', pos, pos + 2);
        advance(pos + 2);
        continue;
      }
      if (c === '=') {
        emit('assign', pos, pos + 1);
        advance(pos + 1);
        continue;
      }
      if (c === '|') {
        emit('pipe', pos, pos + 1);
        advance(pos + 1);
        continue;
      }
      if (c === ',') {
        emit('comma', pos, pos + 1);
        advance(pos + 1);
        continue;
      }
      if (c === '(') {
        parenDepth++;
        emit('leftParen', pos, pos + 1);
        advance(pos + 1);
        continue;
      }
      if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) throw new TemplateParseError(name, line, `unexpected right paren`);
        emit('rightParen', pos, pos + 1);
        advance(pos + 1);
        continue;
      }
      if (c === '"' || c === "'") {
        let q = pos + 1;
        for (;;) {
          const d = text[q];
          if (d === undefined || d === '\n') throw new TemplateParseError(name, line, c === '"' ? 'unterminated quoted string' : 'unterminated character constant');
          if (d === '\\') q += 2;
          else if (d === c) break;
          else q++;
        }
        emit(c === '"' ? 'string' : 'char', pos, q + 1);
        advance(q + 1);
        continue;
      }
      if (c === '`') {
        const end = text.indexOf('`', pos + 1);
        if (end < 0) throw new TemplateParseError(name, line, 'unterminated raw quoted string');
        emit('rawString', pos, end + 1);
        advance(end + 1);
        continue;
      }
      if (c === '$') {
        let q = pos + 1;
        while (q < text.length && isAlnum(text[q]!)) q++;
        emit('variable', pos, q);
        advance(q);
        continue;
      }
      if (c === '.') {
        const n = text[pos + 1] ?? '';
        if (/[0-9]/.test(n)) {
          const q = scanNumber(text, pos);
          emit('number', pos, q);
          advance(q);
          continue;
        }
        let q = pos + 1;
        while (q < text.length && isAlnum(text[q]!)) q++;
        emit(q === pos + 1 ? 'dot' : 'field', pos, q);
        advance(q);
        continue;
      }
      if (/[0-9+-]/.test(c)) {
        const q = scanNumber(text, pos);
        if (q === pos) throw new TemplateParseError(name, line, `bad number syntax: "${c}"`);
        emit('number', pos, q);
        advance(q);
        continue;
      }
      if (isAlnum(c)) {
        let q = pos;
        while (q < text.length && isAlnum(text[q]!)) q++;
        emit('identifier', pos, q);
        advance(q);
        continue;
      }
      throw new TemplateParseError(name, line, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
  out.push({ type: 'eof', val: '', pos: text.length, line });
  return out;
}

function scanNumber(text: string, start: number): number {
  const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)i?/.exec(text.slice(start));
  const len = m?.[0].length ?? 0;
  return start + len;
}
