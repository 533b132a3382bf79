/**
 * The PromQL lexer: one chevrotain multi-mode lexer (statements, inside `{…}`,
 * inside `[…]`), built once and reused, plus a linear post-pass that does what
 * Prometheus's hand-written lexer (`promql/parser/lex.go`) decides by context:
 * case-insensitive keywords, `Inf`/`NaN` as numbers, metric identifiers with `:`,
 * `fill(` only before a parenthesis, string escape validation, and the
 * parenthesis/bracket balance errors. The first lexical error is returned with
 * the index of the token it stops at, so the parser can report an earlier
 * syntax error first, as Prometheus's pull lexer does.
 */
import { createToken, type CustomPatternMatcherReturn, type IToken, Lexer, type TokenType } from 'chevrotain';
import { scanDurationRest, scanNumber } from './literals.js';
import { UnquoteError, unquote } from './unquote.js';

// ---- token kinds, for Prometheus-style descriptions in error messages ----
/** How a token is described in "unexpected …" messages (Prometheus's `Item.desc`). */
type Kind = 'punct' | 'op' | 'aggr' | 'keyword' | 'pre' | 'identifier' | 'metric identifier' | 'number' | 'duration' | 'string';
const KIND = new Map<TokenType, Kind>();

function tok(name: string, pattern: RegExp | string, kind: Kind, extra: Record<string, unknown> = {}): TokenType {
  const t = createToken({ name, pattern, ...extra });
  KIND.set(t, kind);
  return t;
}

// Number and duration share one scan; cache the last result per offset.
let cacheText = '';
let cacheOffset = -1;
let cacheNumEnd = -1;
let cacheDurEnd = -1;
function scanAt(text: string, offset: number): void {
  if (text === cacheText && offset === cacheOffset) return;
  cacheText = text;
  cacheOffset = offset;
  cacheNumEnd = -1;
  cacheDurEnd = -1;
  const c = text.charCodeAt(offset);
  const isStart = (c >= 48 && c <= 57) || (c === 46 && offset + 1 < text.length && text.charCodeAt(offset + 1) >= 48 && text.charCodeAt(offset + 1) <= 57);
  if (!isStart) return;
  const r = scanNumber(text, offset);
  if (r.ok) cacheNumEnd = r.end;
  else {
    const d = scanDurationRest(text, r.end);
    if (d.ok) cacheDurEnd = d.end;
  }
}
function matchNumber(text: string, offset: number): CustomPatternMatcherReturn | null {
  scanAt(text, offset);
  return cacheNumEnd < 0 ? null : [text.slice(offset, cacheNumEnd)];
}
function matchDuration(text: string, offset: number): CustomPatternMatcherReturn | null {
  scanAt(text, offset);
  return cacheDurEnd < 0 ? null : [text.slice(offset, cacheDurEnd)];
}
const DIGIT_START = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'];

// Token categories used by the grammar (a token matches its categories in CONSUME).
/** Binary operators other than `^`, which has its own right-associative rule. */
export const BinOpCat = createToken({ name: 'BinOp', pattern: Lexer.NA });
export const UnaryOpCat = createToken({ name: 'UnaryOp', pattern: Lexer.NA });
export const MatchOpCat = createToken({ name: 'MatchOp', pattern: Lexer.NA });
/** Words allowed as label names in grouping lists (Prometheus's `maybe_label`). */
export const LabelWordCat = createToken({ name: 'LabelWord', pattern: Lexer.NA });
/** Keywords that may also be a metric name (Prometheus's `metric_identifier`, minus aggregators/functions). */
export const MetricWordCat = createToken({ name: 'MetricWord', pattern: Lexer.NA });
/** Words that can name a function. */
export const FuncWordCat = createToken({ name: 'FuncWord', pattern: Lexer.NA });
export const NumberOrDurationCat = createToken({ name: 'NumberOrDuration', pattern: Lexer.NA });

const BIN = [BinOpCat];
const WORD = [LabelWordCat];
const METRIC = [LabelWordCat, MetricWordCat];
const FUNC = [LabelWordCat, FuncWordCat];

export const WS = createToken({ name: 'WS', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });
export const NumberTok = tok('Number', { exec: matchNumber } as unknown as RegExp, 'number', { categories: [NumberOrDurationCat], line_breaks: false, start_chars_hint: DIGIT_START });
export const DurationTok = tok('Duration', { exec: matchDuration } as unknown as RegExp, 'duration', { categories: [NumberOrDurationCat], line_breaks: false, start_chars_hint: DIGIT_START });
export const StringTok = tok('String', /"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*'|`[^`]*`/, 'string', { line_breaks: true });
/** A word in statement context; the post-pass turns it into a keyword, number or metric identifier. */
export const Identifier = tok('Identifier', /[a-zA-Z_:][a-zA-Z0-9_:]*/, 'identifier', { categories: FUNC });
export const MetricIdentifier = tok('MetricIdentifier', Lexer.NA, 'metric identifier', { categories: METRIC });
/** A label name inside braces (never a keyword). */
export const LabelName = tok('LabelName', /[a-zA-Z_][a-zA-Z0-9_]*/, 'identifier');
/** A word inside brackets: only step, range, min_of, max_of are valid there. */
const BracketWord = tok('BracketWord', /[a-zA-Z_]+/, 'identifier');

export const LParen = tok('LParen', '(', 'punct');
export const RParen = tok('RParen', ')', 'punct');
export const LBrace = tok('LBrace', '{', 'punct', { push_mode: 'braces' });
export const RBrace = tok('RBrace', '}', 'punct', { pop_mode: true });
export const LBracket = tok('LBracket', '[', 'punct', { push_mode: 'brackets' });
export const RBracket = tok('RBracket', ']', 'punct', { pop_mode: true });
export const Comma = tok('Comma', ',', 'punct');
export const Colon = tok('Colon', ':', 'punct');
export const EqlC = tok('EqlC', '==', 'op', { categories: BIN });
export const Neq = tok('Neq', '!=', 'op', { categories: [BinOpCat, MatchOpCat] });
export const Lte = tok('Lte', '<=', 'op', { categories: BIN });
export const Gte = tok('Gte', '>=', 'op', { categories: BIN });
export const TrimUpper = tok('TrimUpper', '</', 'op', { categories: BIN });
export const TrimLower = tok('TrimLower', '>/', 'op', { categories: BIN });
export const Lss = tok('Lss', '<', 'op', { categories: BIN });
export const Gtr = tok('Gtr', '>', 'op', { categories: BIN });
export const EqlRegex = tok('EqlRegex', '=~', 'op', { categories: [MatchOpCat] });
export const NeqRegex = tok('NeqRegex', '!~', 'op', { categories: [MatchOpCat] });
export const Eql = tok('Eql', '=', 'punct', { categories: [MatchOpCat] });
export const Add = tok('Add', '+', 'op', { categories: [BinOpCat, UnaryOpCat] });
export const Sub = tok('Sub', '-', 'op', { categories: [BinOpCat, UnaryOpCat] });
export const Mul = tok('Mul', '*', 'op', { categories: BIN });
export const Div = tok('Div', '/', 'op', { categories: BIN });
export const Mod = tok('Mod', '%', 'op', { categories: BIN });
export const Pow = tok('Pow', '^', 'op');
export const At = tok('At', '@', 'op');

// Keyword token types (never matched by the chevrotain lexer itself; assigned by the post-pass).
const kw = (name: string, kind: Kind, categories: TokenType[]): TokenType => tok(name, Lexer.NA, kind, { categories });
export const And = kw('And', 'op', [BinOpCat, LabelWordCat, MetricWordCat]);
export const Or = kw('Or', 'op', [BinOpCat, LabelWordCat, MetricWordCat]);
export const Unless = kw('Unless', 'op', [BinOpCat, LabelWordCat, MetricWordCat]);
export const Atan2 = kw('Atan2', 'op', [BinOpCat, LabelWordCat]);
/** Any aggregation operator; the operator is the lower-cased image. */
export const AggregateOpTok = kw('AggregateOp', 'aggr', WORD);
export const Bool = kw('Bool', 'keyword', WORD);
export const By = kw('By', 'keyword', METRIC);
export const GroupLeft = kw('GroupLeft', 'keyword', WORD);
export const GroupRight = kw('GroupRight', 'keyword', WORD);
export const Fill = kw('Fill', 'keyword', METRIC);
export const FillLeft = kw('FillLeft', 'keyword', METRIC);
export const FillRight = kw('FillRight', 'keyword', METRIC);
export const Ignoring = kw('Ignoring', 'keyword', WORD);
export const Offset = kw('Offset', 'keyword', METRIC);
export const Smoothed = kw('Smoothed', 'keyword', METRIC);
export const Anchored = kw('Anchored', 'keyword', METRIC);
export const On = kw('On', 'keyword', WORD);
export const Without = kw('Without', 'keyword', METRIC);
export const Start = kw('Start', 'pre', FUNC);
export const End = kw('End', 'pre', FUNC);
export const Step = kw('Step', 'pre', FUNC);
export const Range = kw('Range', 'pre', FUNC);
export const MaxOf = kw('MaxOf', 'pre', FUNC);
export const MinOf = kw('MinOf', 'pre', FUNC);

const KEYWORDS = new Map<string, TokenType>([
  ['and', And],
  ['or', Or],
  ['unless', Unless],
  ['atan2', Atan2],
  ['bool', Bool],
  ['by', By],
  ['group_left', GroupLeft],
  ['group_right', GroupRight],
  ['fill', Fill],
  ['fill_left', FillLeft],
  ['fill_right', FillRight],
  ['ignoring', Ignoring],
  ['offset', Offset],
  ['smoothed', Smoothed],
  ['anchored', Anchored],
  ['on', On],
  ['without', Without],
  ['start', Start],
  ['end', End],
  ['step', Step],
  ['range', Range],
  ['max_of', MaxOf],
  ['min_of', MinOf],
]);
/** Aggregation operators (lower case). */
export const AGGREGATORS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const BRACKET_WORDS = new Map<string, TokenType>([
  ['step', Step],
  ['range', Range],
  ['max_of', MaxOf],
  ['min_of', MinOf],
]);

/** Every token type, for the parser's vocabulary. */
export const ALL_TOKENS: TokenType[] = [
  BinOpCat,
  UnaryOpCat,
  MatchOpCat,
  LabelWordCat,
  MetricWordCat,
  FuncWordCat,
  NumberOrDurationCat,
  WS,
  Comment,
  NumberTok,
  DurationTok,
  StringTok,
  Identifier,
  MetricIdentifier,
  LabelName,
  BracketWord,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Colon,
  EqlC,
  Neq,
  Lte,
  Gte,
  TrimUpper,
  TrimLower,
  Lss,
  Gtr,
  EqlRegex,
  NeqRegex,
  Eql,
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Pow,
  At,
  And,
  Or,
  Unless,
  Atan2,
  AggregateOpTok,
  Bool,
  By,
  GroupLeft,
  GroupRight,
  Fill,
  FillLeft,
  FillRight,
  Ignoring,
  Offset,
  Smoothed,
  Anchored,
  On,
  Without,
  Start,
  End,
  Step,
  Range,
  MaxOf,
  MinOf,
];

const LEXER = new Lexer(
  {
    defaultMode: 'main',
    modes: {
      main: [WS, Comment, NumberTok, DurationTok, StringTok, Identifier, LParen, RParen, LBrace, LBracket, Comma, EqlC, Neq, Lte, Gte, TrimUpper, TrimLower, Lss, Gtr, Eql, Add, Sub, Mul, Div, Mod, Pow, At],
      braces: [WS, Comment, LabelName, StringTok, Comma, EqlRegex, NeqRegex, Neq, Eql, RBrace],
      brackets: [WS, Comment, NumberTok, DurationTok, Colon, RBracket, LParen, RParen, Comma, Add, Sub, Mul, Div, Mod, Pow, BracketWord],
    },
  },
  { positionTracking: 'onlyOffset', ensureOptimizations: true, recoveryEnabled: false },
);

/** A lexical error: Prometheus's message, where it starts, and the index of the first token it invalidates. */
export interface LexError {
  message: string;
  offset: number;
  tokenIndex: number;
}

export interface LexResult {
  /** Tokens up to (not including) the first lexical error. */
  tokens: IToken[];
  error: LexError | null;
}

function setType(t: IToken, type: TokenType): void {
  t.tokenType = type;
  t.tokenTypeIdx = type.tokenTypeIdx!;
}

function followedByParen(text: string, pos: number): boolean {
  while (pos < text.length) {
    const c = text[pos]!;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return c === '(';
    pos++;
  }
  return false;
}

function goQuoteChar(c: string): string {
  return c === "'" ? `'\\''` : `'${c}'`;
}

/** Prometheus's message for an unterminated or badly escaped quoted string starting at `offset`. */
function describeBadString(text: string, offset: number): string {
  const q = text[offset]!;
  if (q === '`') return 'unterminated raw string';
  for (let i = offset + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      if (i + 1 >= text.length) return 'escape sequence not terminated';
      i++;
      continue;
    }
    if (c === '\n') break;
  }
  return 'unterminated quoted string';
}

/** Prometheus's message for the character at `offset` that no token in `mode` matches. */
function describeBadChar(text: string, offset: number, mode: 'main' | 'braces' | 'brackets', afterNumber: boolean): string {
  const c = text[offset]!;
  const code = text.charCodeAt(offset);
  const next = text[offset + 1] ?? '';
  const numberStart = (code >= 48 && code <= 57) || (c === '.' && next >= '0' && next <= '9');
  if (numberStart && mode !== 'braces') {
    const r = scanNumber(text, offset);
    let end = r.end;
    if (!r.ok) {
      // scanNumber stops after the offending character when it consumed one.
      end = scanDurationRest(text, r.end).end;
    }
    return `bad number or duration syntax: ${JSON.stringify(text.slice(offset, end))}`;
  }
  if (mode === 'braces') {
    if (c === '"' || c === "'" || c === '`') return describeBadString(text, offset);
    if (c === '!') return `unexpected character after '!' inside braces: ${goQuoteChar(next)}`;
    if (c === '{') return `unexpected left brace '{'`;
    return `unexpected character inside braces: ${goQuoteChar(c)}`;
  }
  if (mode === 'brackets') {
    if (c === '[') return `unexpected left bracket '['`;
    if (afterNumber && /[a-zA-Z_]/.test(c)) return `unexpected character: ${goQuoteChar(c)}, expected ':'`;
    return `unexpected character in duration expression: ${goQuoteChar(c)}`;
  }
  if (c === '"' || c === "'" || c === '`') return describeBadString(text, offset);
  if (c === '!') return `unexpected character after '!': ${goQuoteChar(next)}`;
  if (c === ']') return `unexpected right bracket ']'`;
  return `unexpected character: ${goQuoteChar(c)}`;
}

/**
 * Splits `input` into tokens. Never throws: a lexical error is returned with the
 * tokens before it.
 */
export function tokenize(input: string): LexResult {
  const res = LEXER.tokenize(input);
  const tokens = res.tokens;
  const firstErr = res.errors.length > 0 ? res.errors[0]!.offset : Number.POSITIVE_INFINITY;
  let depth = 0;
  let mode: 'main' | 'braces' | 'brackets' = 'main';
  let gotColon = false;
  let gotDuration = false;
  let error: LexError | null = null;
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startOffset >= firstErr) break;
    const type = t.tokenType;
    if (type === Identifier) {
      const lower = t.image.toLowerCase();
      const k = KEYWORDS.get(lower);
      if (k !== undefined) {
        if ((k === Fill || k === FillLeft || k === FillRight) && !followedByParen(input, t.startOffset + t.image.length)) continue;
        setType(t, k);
      } else if (AGGREGATORS.has(lower)) setType(t, AggregateOpTok);
      else if (lower === 'inf' || lower === 'nan') setType(t, NumberTok);
      else if (t.image.includes(':')) setType(t, MetricIdentifier);
    } else if (type === BracketWord) {
      const k = BRACKET_WORDS.get(t.image.toLowerCase());
      if (k === undefined) {
        const prevType = i > 0 ? tokens[i - 1]!.tokenType : undefined;
        const afterNumber = prevType === NumberTok || prevType === DurationTok;
        const msg = afterNumber ? `unexpected character: ${goQuoteChar(t.image[0]!)}, expected ':'` : `unexpected character in duration expression: ${goQuoteChar(t.image[0]!)}`;
        error = { message: msg, offset: t.startOffset, tokenIndex: i };
        break;
      }
      setType(t, k);
    } else if (type === StringTok) {
      try {
        unquote(t.image);
      } catch (e) {
        if (!(e instanceof UnquoteError)) throw e;
        error = { message: e.message, offset: t.startOffset, tokenIndex: i };
        break;
      }
    } else if (type === LParen) depth++;
    else if (type === RParen) {
      depth--;
      if (depth < 0) {
        // Prometheus's lexer replaces the ")" by the error item.
        error = { message: `unexpected right parenthesis ')'`, offset: t.startOffset + 1, tokenIndex: i };
        break;
      }
    } else if (type === LBrace) mode = 'braces';
    else if (type === RBrace) mode = 'main';
    else if (type === LBracket) {
      mode = 'brackets';
      gotColon = false;
      gotDuration = false;
    } else if (type === RBracket) mode = 'main';
    else if (type === Colon) {
      if (!gotDuration) {
        error = { message: 'unexpected colon before duration in duration expression', offset: t.startOffset + 1, tokenIndex: i };
        break;
      }
      if (gotColon) {
        error = { message: 'unexpected repeated colon in duration expression', offset: t.startOffset + 1, tokenIndex: i };
        break;
      }
      gotColon = true;
    } else if (mode === 'brackets' && (type === NumberTok || type === DurationTok)) gotDuration = true;
    else if (type === Eql && mode === 'main' && input[t.startOffset + 1] === '~') {
      error = { message: `unexpected character after '=': '~'`, offset: t.startOffset, tokenIndex: i };
      break;
    }
  }
  const lastType = i > 0 ? tokens[i - 1]!.tokenType : undefined;
  const afterNumber = lastType === NumberTok || lastType === DurationTok;
  if (error === null && Number.isFinite(firstErr)) {
    error = { message: describeBadChar(input, firstErr, mode, afterNumber), offset: firstErr, tokenIndex: i };
  } else if (error === null) {
    if (mode === 'braces') error = { message: 'unexpected end of input inside braces', offset: input.length, tokenIndex: i };
    // Inside brackets Prometheus is in its duration-expression state except right after a number.
    else if (mode === 'brackets' && !afterNumber) error = { message: 'unexpected end of input in duration expression', offset: input.length, tokenIndex: i };
    else if (depth > 0) error = { message: 'unclosed left parenthesis', offset: input.length, tokenIndex: i };
    else if (mode === 'brackets') error = { message: 'unclosed left bracket', offset: input.length, tokenIndex: i };
  }
  if (error !== null) tokens.length = error.tokenIndex;
  return { tokens, error };
}

/** Describes a token the way Prometheus's `Item.desc()` does (for "unexpected …" messages). */
export function describeToken(t: IToken | null): string {
  if (t === null) return 'end of input';
  const kind = KIND.get(t.tokenType) ?? 'punct';
  const v = t.image;
  switch (kind) {
    case 'op':
      return `<op:${v}>`;
    case 'aggr':
      return `<aggr:${v}>`;
    case 'keyword':
      return `<${v}>`;
    case 'pre':
    case 'punct':
      return JSON.stringify(v);
    case 'identifier':
    case 'metric identifier':
      return `${kind} ${JSON.stringify(v)}`;
    default:
      return `${kind} ${[...v].length > 10 ? JSON.stringify([...v].slice(0, 10).join('')) + '...' : JSON.stringify(v)}`;
  }
}
