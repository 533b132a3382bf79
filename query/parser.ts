/**
 * The PromQL parser: one chevrotain `EmbeddedActionsParser`, built once and reused
 * for every query (chevrotain's recommended practice), with actions that build the
 * AST of query/ast.ts directly (no CST). The grammar follows Prometheus's
 * `generated_parser.y`; operator precedence is folded from a flat operand/operator
 * list (or < and/unless < comparisons < +,- < *,/,%,atan2 < unary < ^ (right) <
 * postfix `[…]`, `offset`, `@`, `anchored`, `smoothed`). The duration sub-grammar
 * (ranges, steps, offsets, `@`) is inherited from query/duration_grammar.ts; syntax
 * error wording lives in query/parse_errors.ts, type checking in query/type_check.ts.
 *
 * Public entry points: `parseExpr`, `parseMetricSelector`.
 */
import type { IToken, TokenType } from 'chevrotain';
import type { Matcher } from '../tsdb/matcher.js';
import { MatchType } from '../tsdb/matcher.js';
import type { AggregateOp, BinaryOp, Expr } from './ast.js';
import {
  type BinModifiers,
  type BuildContext,
  addOffset,
  defaultOptions,
  fail,
  newAggregate,
  newBinary,
  newCall,
  newMatcher,
  newMatrix,
  newSubquery,
  type ParseOptions,
  pr,
  setRangeModifier,
  setStartOrEnd,
  setTimestamp,
  stringLit,
  vectorSelector,
} from './ast_builders.js';
import { DurationGrammar, PREC, tokEnd, tokPos } from './duration_grammar.js';
import { ParseError } from './errors.js';
import { getFunction } from './functions.js';
import {
  ALL_TOKENS,
  AggregateOpTok,
  Anchored,
  BinOpCat,
  Bool,
  By,
  Comma,
  Eql,
  EqlRegex,
  Fill,
  FillLeft,
  FillRight,
  FuncWordCat,
  GroupLeft,
  GroupRight,
  Ignoring,
  LabelName,
  LabelWordCat,
  LBrace,
  LParen,
  MatchOpCat,
  MetricWordCat,
  Neq,
  NumberOrDurationCat,
  On,
  Pow,
  RBrace,
  RParen,
  Smoothed,
  StringTok,
  UnaryOpCat,
  Without,
  describeToken,
  tokenize,
} from './lexer.js';
import { syntaxError } from './parse_errors.js';
import { checkAST } from './type_check.js';
import { unquote } from './unquote.js';

export type { ParseOptions } from './ast_builders.js';

interface GroupingResult {
  labels: string[];
  end: number;
}

const NO_FILL = (): BinModifiers['fill'] => ({ lhs: null, rhs: null });

class PromQLParser extends DurationGrammar {
  constructor() {
    super(ALL_TOKENS);
    this.performSelfAnalysis();
  }

  private str(t: IToken): string {
    return unquote(t.image); // validated by the lexer
  }

  // ---- expressions ----

  public expr = this.RULE('expr', (): Expr => {
    const operands: Expr[] = [this.SUBRULE(this.unary)];
    const ops: IToken[] = [];
    const mods: BinModifiers[] = [];
    this.MANY(() => {
      ops.push(this.CONSUME(BinOpCat));
      mods.push(this.SUBRULE(this.binModifiers));
      operands.push(this.SUBRULE2(this.unary));
    });
    return this.ACTION(() => this.fold(operands, ops, mods));
  });

  private fold(operands: Expr[], ops: IToken[], mods: BinModifiers[]): Expr {
    if (ops.length === 0) return operands[0]!;
    const out: Expr[] = [operands[0]!];
    const stack: number[] = [];
    const reduce = (): void => {
      const i = stack.pop()!;
      const rhs = out.pop()!;
      const lhs = out.pop()!;
      this.checkBareGroup(mods[i]!, rhs);
      out.push(newBinary(this.ctx, ops[i]!.image.toLowerCase() as BinaryOp, lhs, rhs, mods[i]!));
    };
    for (let i = 0; i < ops.length; i++) {
      const p = PREC[ops[i]!.image.toLowerCase()]!;
      while (stack.length > 0 && PREC[ops[stack[stack.length - 1]!]!.image.toLowerCase()]! >= p) reduce();
      stack.push(i);
      out.push(operands[i + 1]!);
    }
    while (stack.length > 0) reduce();
    return out[0]!;
  }

  /**
   * After a bare `group_left`/`group_right`, Prometheus's grammar always reads a following
   * `(` as the start of a label list, so `a * on (x) group_left (b + c)` is a syntax error
   * there. Chevrotain's bounded lookahead parsed such a parenthesis as the right operand;
   * report the error Prometheus would.
   */
  private checkBareGroup(m: BinModifiers, rhs: Expr): void {
    if (!m.bareGroup) return;
    const toks = this.lexTokens;
    let i = 0;
    while (i < toks.length && toks[i]!.startOffset < rhs.posRange.start) i++;
    if (toks[i]?.tokenType !== LParen) return;
    const t1 = toks[i + 1];
    const isLabel = t1 !== undefined && (t1.tokenType === StringTok || t1.tokenType.CATEGORIES?.includes(LabelWordCat) === true);
    const bad = isLabel ? (toks[i + 2] ?? null) : (t1 ?? null);
    const pos = bad === null ? pr(this.ctx.query.length, this.ctx.query.length) : tokPos(bad);
    fail(this.ctx, pos, `unexpected ${describeToken(bad)} in grouping opts, expected ${isLabel ? '"," or ")"' : 'label'}`);
  }

  /** The tokens of the current parse (for `checkBareGroup`). */
  lexTokens: IToken[] = [];

  private unary = this.RULE('unary', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const op = this.CONSUME(UnaryOpCat);
          const e = this.SUBRULE(this.unary);
          return this.ACTION((): Expr => {
            if (e.type === 'NumberLiteral') {
              if (op.image === '-') e.val = -e.val;
              e.posRange = pr(op.startOffset, e.posRange.end);
              return e;
            }
            return { type: 'UnaryExpr', op: op.image as '+' | '-', expr: e, posRange: pr(op.startOffset, e.posRange.end) };
          });
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  private power = this.RULE('power', (): Expr => {
    let e = this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(Pow);
      const m = this.SUBRULE(this.binModifiers);
      const rhs = this.SUBRULE(this.unary);
      this.ACTION(() => {
        this.checkBareGroup(m, rhs);
        e = newBinary(this.ctx, '^', e, rhs, m);
      });
    });
    return e;
  });

  private postfix = this.RULE('postfix', (): Expr => {
    let e = this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const r = this.SUBRULE(this.rangeSelector);
            this.ACTION(() => {
              e = r.colon ? newSubquery(this.ctx, e, r.range, r.step, r.end) : newMatrix(this.ctx, e, r.range, pr(r.start, r.end));
            });
          },
        },
        {
          ALT: () => {
            const d = this.SUBRULE(this.offsetClause);
            this.ACTION(() => addOffset(this.ctx, e, d, d.posRange.end));
          },
        },
        {
          ALT: () => {
            const a = this.SUBRULE(this.atClause);
            this.ACTION(() => {
              if (typeof a.at === 'number') setTimestamp(this.ctx, e, a.at, a.end);
              else setStartOrEnd(this.ctx, e, a.at, a.end);
            });
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(Anchored);
            this.ACTION(() => setRangeModifier(this.ctx, e, 'anchored', tokEnd(t)));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(Smoothed);
            this.ACTION(() => setRangeModifier(this.ctx, e, 'smoothed', tokEnd(t)));
          },
        },
      ]);
    });
    return e;
  });

  private primary = this.RULE('primary', (): Expr => {
    return this.OR([
      { ALT: () => this.literalAction(this.CONSUME(NumberOrDurationCat)) },
      {
        ALT: () => {
          const t = this.CONSUME(StringTok);
          return this.ACTION(() => stringLit(this.str(t), tokPos(t)));
        },
      },
      {
        ALT: () => {
          const l = this.CONSUME(LParen);
          const e = this.SUBRULE(this.expr);
          const r = this.CONSUME(RParen);
          return this.ACTION((): Expr => ({ type: 'ParenExpr', expr: e, posRange: pr(l.startOffset, tokEnd(r)) }));
        },
      },
      {
        ALT: () => {
          const m = this.SUBRULE(this.labelMatchers);
          return this.ACTION(() => vectorSelector('', m.matchers, pr(m.start, m.end)));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(AggregateOpTok);
          return this.OR2([
            { ALT: () => this.SUBRULE(this.aggregation, { ARGS: [t] }) },
            { ALT: () => this.SUBRULE(this.selectorRest, { ARGS: [t] }) },
          ]);
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(FuncWordCat);
          return this.OR3([
            {
              ALT: () => {
                const a = this.SUBRULE(this.callArgs);
                return this.ACTION(() => {
                  if (a.trailingComma !== null) fail(this.ctx, tokPos(a.trailingComma), 'trailing commas not allowed in function call args');
                  return newCall(this.ctx, getFunction(t.image), t.image, tokPos(t), a.args, a.end);
                });
              },
            },
            { ALT: () => this.SUBRULE2(this.selectorRest, { ARGS: [t] }) },
          ]);
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(MetricWordCat);
          return this.SUBRULE3(this.selectorRest, { ARGS: [t] });
        },
      },
    ]);
  });


  /** A metric name, optionally followed by `{…}`. */
  private selectorRest = this.RULE('selectorRest', (name: IToken): Expr => {
    let m: { matchers: Matcher[]; start: number; end: number } | null = null;
    this.OPTION(() => {
      m = this.SUBRULE(this.labelMatchers);
    });
    return this.ACTION(() => {
      const mm = m as { matchers: Matcher[]; start: number; end: number } | null;
      return vectorSelector(name.image, mm === null ? [] : mm.matchers, pr(name.startOffset, mm === null ? tokEnd(name) : mm.end));
    });
  });

  private aggregation = this.RULE('aggregation', (op: IToken): Expr => {
    let grouping: GroupingResult | null = null;
    let without = false;
    let after = false;
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(By) }, { ALT: () => (without = this.CONSUME(Without) !== undefined) }]);
      grouping = this.SUBRULE(this.groupingLabels);
    });
    const a = this.SUBRULE(this.callArgs);
    this.OPTION2({
      GATE: () => grouping === null,
      DEF: () => {
        this.OR2([{ ALT: () => this.CONSUME2(By) }, { ALT: () => (without = this.CONSUME2(Without) !== undefined) }]);
        grouping = this.SUBRULE2(this.groupingLabels);
        after = true;
      },
    });
    return this.ACTION(() => {
      if (a.trailingComma !== null) fail(this.ctx, tokPos(a.trailingComma), 'trailing commas not allowed in function call args');
      const g = grouping as GroupingResult | null;
      const end = after && g !== null ? g.end : a.end;
      return newAggregate(this.ctx, op.image.toLowerCase() as AggregateOp, g === null ? [] : g.labels, without, a.args, pr(op.startOffset, end));
    });
  });

  /** `( expr, … )`; a trailing comma is reported by the caller (after the whole call parsed). */
  private callArgs = this.RULE('callArgs', (): { args: Expr[]; end: number; trailingComma: IToken | null } => {
    const args: Expr[] = [];
    let trailingComma: IToken | null = null;
    this.CONSUME(LParen);
    this.OPTION(() => {
      args.push(this.SUBRULE(this.expr));
      this.MANY(() => {
        this.CONSUME(Comma);
        args.push(this.SUBRULE2(this.expr));
      });
      this.OPTION2(() => {
        trailingComma = this.CONSUME2(Comma);
      });
    });
    const r = this.CONSUME(RParen);
    return { args, end: tokEnd(r), trailingComma };
  });

  // ---- modifiers ----

  private binModifiers = this.RULE('binModifiers', (): BinModifiers => {
    const m: BinModifiers = { returnBool: false, card: 'one-to-one', on: false, matchingLabels: [], include: [], fill: NO_FILL(), bareGroup: false };
    this.OPTION(() => {
      this.CONSUME(Bool);
      m.returnBool = true;
    });
    this.OPTION2(() => {
      this.OR([{ ALT: () => (m.on = this.CONSUME(On) !== undefined) }, { ALT: () => this.CONSUME(Ignoring) }]);
      m.matchingLabels = this.SUBRULE(this.groupingLabels).labels;
      this.OPTION3(() => {
        this.OR2([
          {
            ALT: () => {
              this.CONSUME(GroupLeft);
              m.card = 'many-to-one';
            },
          },
          {
            ALT: () => {
              this.CONSUME(GroupRight);
              m.card = 'one-to-many';
            },
          },
        ]);
        m.bareGroup = true;
        this.OPTION4(() => {
          m.include = this.SUBRULE2(this.groupingLabels).labels;
          m.bareGroup = false;
        });
      });
    });
    this.OPTION5(() => {
      this.OR3([
        {
          ALT: () => {
            this.CONSUME(Fill);
            const v = this.SUBRULE(this.fillValue);
            m.fill.lhs = v;
            m.fill.rhs = v;
          },
        },
        {
          ALT: () => {
            this.CONSUME(FillLeft);
            m.fill.lhs = this.SUBRULE2(this.fillValue);
            this.OPTION6(() => {
              this.CONSUME2(FillRight);
              m.fill.rhs = this.SUBRULE3(this.fillValue);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME3(FillRight);
            m.fill.rhs = this.SUBRULE4(this.fillValue);
            this.OPTION7(() => {
              this.CONSUME3(FillLeft);
              m.fill.lhs = this.SUBRULE5(this.fillValue);
            });
          },
        },
      ]);
    });
    return m;
  });

  private fillValue = this.RULE('fillValue', (): number => {
    let neg = false;
    this.CONSUME(LParen);
    this.OPTION(() => {
      neg = this.CONSUME(UnaryOpCat).image === '-';
    });
    const t = this.CONSUME(NumberOrDurationCat);
    this.CONSUME(RParen);
    return this.ACTION(() => {
      const v = this.literalValue(t).val;
      return neg ? -v : v;
    });
  });

  private groupingLabels = this.RULE('groupingLabels', (): GroupingResult => {
    const labels: string[] = [];
    this.CONSUME(LParen);
    this.OPTION(() => {
      labels.push(this.SUBRULE(this.groupingLabel));
      this.MANY(() => {
        this.CONSUME(Comma);
        labels.push(this.SUBRULE2(this.groupingLabel));
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    const r = this.CONSUME(RParen);
    return { labels, end: tokEnd(r) };
  });

  private groupingLabel = this.RULE('groupingLabel', (): string => {
    return this.OR([
      { ALT: () => this.CONSUME(LabelWordCat).image },
      {
        ALT: () => {
          const t = this.CONSUME(StringTok);
          return this.ACTION(() => {
            const v = this.str(t);
            if (v === '') fail(this.ctx, tokPos(t), `invalid label name for grouping: ${JSON.stringify(v)}`);
            return v;
          });
        },
      },
    ]);
  });

  private labelMatchers = this.RULE('labelMatchers', (): { matchers: Matcher[]; start: number; end: number } => {
    const matchers: Matcher[] = [];
    const l = this.CONSUME(LBrace);
    this.OPTION(() => {
      matchers.push(this.SUBRULE(this.labelMatcher));
      this.MANY(() => {
        this.CONSUME(Comma);
        matchers.push(this.SUBRULE2(this.labelMatcher));
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    const r = this.CONSUME(RBrace);
    return { matchers, start: l.startOffset, end: tokEnd(r) };
  });

  private labelMatcher = this.RULE('labelMatcher', (): Matcher => {
    let name: IToken | null = null;
    let op: IToken | null = null;
    let value: IToken | null = null;
    this.OR([
      {
        ALT: () => {
          name = this.CONSUME(LabelName);
          op = this.CONSUME(MatchOpCat);
          value = this.CONSUME(StringTok);
        },
      },
      {
        ALT: () => {
          name = this.CONSUME2(StringTok);
          this.OPTION(() => {
            op = this.CONSUME2(MatchOpCat);
            value = this.CONSUME3(StringTok);
          });
        },
      },
    ]);
    return this.ACTION(() => {
      const n = name as unknown as IToken;
      const o = op as IToken | null;
      const v = value as IToken | null;
      const labelName = n.tokenType === StringTok ? this.str(n) : n.image;
      if (o === null || v === null) return newMatcher(this.ctx, MatchType.Equal, '__name__', labelName, tokPos(n));
      return newMatcher(this.ctx, matchTypeOf(o.tokenType), labelName, this.str(v), pr(n.startOffset, tokEnd(v)));
    });
  });

  /** Entry for `match[]` selectors: a metric name and/or `{…}`. */
  public metricSelector = this.RULE('metricSelector', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const m = this.SUBRULE(this.labelMatchers);
          return this.ACTION(() => vectorSelector('', m.matchers, pr(m.start, m.end)));
        },
      },
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(LabelWordCat) }]);
          return this.SUBRULE(this.selectorRest, { ARGS: [t] });
        },
      },
    ]);
  });
}

function matchTypeOf(t: TokenType): MatchType {
  if (t === Eql) return MatchType.Equal;
  if (t === Neq) return MatchType.NotEqual;
  if (t === EqlRegex) return MatchType.Regexp;
  return MatchType.NotRegexp;
}


const PARSER = new PromQLParser();

function run<T>(input: string, opts: ParseOptions, entry: () => T): T {
  const lex = tokenize(input);
  const ctx: BuildContext = { query: input, opts: defaultOptions(opts) };
  PARSER.ctx = ctx;
  if (lex.tokens.length === 0 && lex.error === null) throw new ParseError(input, pr(0, 0), 'no expression found in input');
  PARSER.input = lex.tokens;
  PARSER.lexTokens = lex.tokens;
  const result = entry();
  const errs = PARSER.errors;
  if (errs.length > 0) throw syntaxError(input, lex.tokens, lex.error, errs[0]!);
  if (lex.error !== null) throw new ParseError(input, pr(lex.error.offset, input.length), lex.error.message);
  return result;
}


/**
 * Parses a PromQL expression and type-checks it like Prometheus's `ParseExpr`.
 * Throws ParseError (message `line:col: parse error: …`).
 */
export function parseExpr(input: string, opts: ParseOptions = {}): Expr {
  return guardDepth(input, () => {
    const e = run(input, opts, () => PARSER.expr());
    checkAST(PARSER.ctx, e);
    return e;
  });
}

/**
 * Turns a stack overflow on pathologically nested input (`((((…))))` tens of thousands
 * deep) into a ParseError, so hostile queries are rejected as bad data.
 */
function guardDepth<T>(input: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new ParseError(input, pr(0, input.length), 'expression is nested too deeply to parse');
    }
    throw e;
  }
}

/**
 * Parses a series selector (`up`, `{job="x"}`, `{"a.b"}`) as used by `match[]`;
 * returns its matchers (the `__name__` matcher included). Throws ParseError.
 */
export function parseMetricSelector(input: string): Matcher[] {
  return guardDepth(input, () => {
    const e = run(input, {}, () => PARSER.metricSelector());
    if (e.type !== 'VectorSelector') throw new ParseError(input, e.posRange, 'expected a series selector');
    checkAST(PARSER.ctx, e);
    return e.matchers;
  });
}
