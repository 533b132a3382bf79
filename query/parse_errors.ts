/**
 * Syntax error messages in Prometheus's words. Chevrotain reports where parsing
 * stopped and the rule stack; this maps them to Prometheus's
 * `unexpected <token> [in <context>][, expected <what>]`, where the context is the
 * innermost grammar construct with an error production in `generated_parser.y`
 * (aggregation, label matching, grouping opts, offset, @, subquery or range).
 */
import type { IRecognitionException, IToken, TokenType } from 'chevrotain';
import { pr } from './ast_builders.js';
import { tokPos } from './duration_grammar.js';
import { ParseError } from './errors.js';
import { By, Colon, Comma, describeToken, GroupLeft, GroupRight, Ignoring, LabelName, LBrace, LBracket, LParen, MatchOpCat, On, Without } from './lexer.js';

// Error contexts of Prometheus's grammar, innermost rule first.
function errorContext(ruleStack: readonly string[], tokens: readonly IToken[], prev: IToken | null): [string, string] | null {
  for (let i = ruleStack.length - 1; i >= 0; i--) {
    const r = ruleStack[i]!;
    const pt = prev?.tokenType;
    switch (r) {
      case 'labelMatcher':
      case 'labelMatchers':
        if (pt === LabelName) return ['label matching', 'label matching operator'];
        if (pt?.CATEGORIES?.includes(MatchOpCat)) return ['label matching', 'string'];
        if (pt === LBrace || pt === Comma) return ['label matching', 'identifier or "}"'];
        return ['label matching', '"," or "}"'];
      case 'groupingLabels':
      case 'groupingLabel':
        if (pt === LParen || pt === Comma) return ['grouping opts', 'label'];
        if (pt === By || pt === Without || pt === On || pt === Ignoring || pt === GroupLeft || pt === GroupRight) return ['grouping opts', '"("'];
        return ['grouping opts', '"," or ")"'];
      case 'offsetClause':
        return ['offset', 'number, duration, step(), or range()'];
      case 'atClause':
        return ['@', 'timestamp'];
      case 'rangeSelector':
        return rangeContext(pt, colonSeen(tokens, prev));
      case 'durationExpr':
      case 'durationUnary':
      case 'durationPower':
      case 'durationPrimary':
      case 'durationCall':
        if (!ruleStack.includes('rangeSelector')) continue;
        // Failing inside the range (or step) expression itself.
        return colonSeen(tokens, prev)
          ? ['subquery selector', 'number, duration, step(), range(), or "]"']
          : ['subquery or range selector', 'number, duration, step(), or range()'];
      case 'aggregation':
        return ['aggregation', ''];
    }
  }
  return null;
}

/** Whether a `:` occurs after the last `[` up to and including `prev`. */
function colonSeen(tokens: readonly IToken[], prev: IToken | null): boolean {
  if (prev === null) return false;
  for (let i = tokens.indexOf(prev); i >= 0; i--) {
    const t = tokens[i]!.tokenType;
    if (t === Colon) return true;
    if (t === LBracket) return false;
  }
  return false;
}

function rangeContext(prev: TokenType | undefined, colon: boolean): [string, string] {
  if (prev === LBracket) return ['subquery or range selector', 'number, duration, step(), or range()'];
  if (!colon) return ['subquery or range', '":" or "]"'];
  if (prev === Colon) return ['subquery selector', 'number, duration, step(), range(), or "]"'];
  return ['subquery selector', '"]"'];
}

/** The token before `t` (the last token when `t` is the end of input). */
function previousToken(tokens: readonly IToken[], t: IToken | null): IToken | null {
  if (t === null || t.tokenType.name === 'EOF') return tokens.length > 0 ? tokens[tokens.length - 1]! : null;
  let prev: IToken | null = null;
  for (const x of tokens) {
    if (x.startOffset >= t.startOffset) break;
    prev = x;
  }
  return prev;
}

/** The ParseError for chevrotain's first recognition error `e` (or the lexical error it ran into). */
export function syntaxError(input: string, tokens: readonly IToken[], lexErr: { message: string; offset: number } | null, e: IRecognitionException): ParseError {
  const tok = e.token !== undefined && e.token.tokenType.name !== 'EOF' ? e.token : null;
  // The parser ran into the point where the lexer failed: report the lexical error.
  if (tok === null && lexErr !== null) return new ParseError(input, pr(lexErr.offset, input.length), lexErr.message);
  const prev = previousToken(tokens, tok);
  const ctx = errorContext(e.context.ruleStack, tokens, prev);
  let msg = `unexpected ${describeToken(tok)}`;
  if (ctx !== null) {
    msg += ` in ${ctx[0]}`;
    if (ctx[1] !== '') msg += `, expected ${ctx[1]}`;
  }
  const pos = tok === null ? pr(input.length, input.length) : tokPos(tok);
  return new ParseError(input, pos, msg);
}
