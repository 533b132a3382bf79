/**
 * The duration part of the PromQL grammar, shared by ranges (`x[5m]`), subqueries
 * (`[1h:1m]`), `offset` and `@`: number and duration literals, duration
 * expressions (`5m * 2`, `step()`, `min_of(a, b)`) with their precedence, and the
 * three clauses. A base class of the PromQL parser (chevrotain grammar inheritance).
 */
import { EmbeddedActionsParser, type IToken, type TokenType } from 'chevrotain';
import type { DurationExpr, DurationOp, NumberLiteral, PosRange } from './ast.js';
import { type BuildContext, defaultOptions, durationExpr, durationOutOfRange, fail, numberLit, pr, unaryDuration, wrapDuration } from './ast_builders.js';
import { Add, At, Colon, Comma, Div, DurationTok, End, LBracket, LParen, MaxOf, MinOf, Mod, Mul, NumberOrDurationCat, Offset, Pow, Range, RBracket, RParen, Start, Step, Sub, UnaryOpCat } from './lexer.js';
import { DurationSyntaxError, parseDuration, parseNumber } from './literals.js';

/** Binding strength of binary operators (higher binds tighter); `^` is handled by its own rule. */
export const PREC: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '</': 3,
  '>/': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
};

const DUR_OP: Record<string, DurationOp> = { '+': '+', '-': '-', '*': '*', '/': '/', '%': '%' };

/** End offset of a token. */
export function tokEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

/** Position range of a token. */
export function tokPos(t: IToken): PosRange {
  return pr(t.startOffset, tokEnd(t));
}

/** What `rangeSelector` returns: `[range]` or `[range:step]` and where it ends. */
export interface RangeClause {
  start: number;
  end: number;
  range: DurationExpr | NumberLiteral;
  colon: boolean;
  step: DurationExpr | NumberLiteral | null;
}

export abstract class DurationGrammar extends EmbeddedActionsParser {
  /** Query text and options of the current parse. */
  ctx: BuildContext = { query: '', opts: defaultOptions({}) };

  constructor(tokens: TokenType[]) {
    super(tokens, { recoveryEnabled: false, maxLookahead: 3 });
  }

  protected literalValue(t: IToken): NumberLiteral {
    const pos = tokPos(t);
    if (t.tokenType === DurationTok) {
      let ms = 0;
      try {
        ms = parseDuration(t.image);
      } catch (e) {
        if (e instanceof DurationSyntaxError) fail(this.ctx, pos, e.message);
        throw e;
      }
      return numberLit(ms / 1000, true, pos);
    }
    const v = parseNumber(t.image);
    if (v === null) {
      const why = Number.isFinite(Number(t.image.replaceAll('_', ''))) ? 'invalid syntax' : 'value out of range';
      fail(this.ctx, pos, `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(t.image)}: ${why}`);
    }
    return numberLit(v, false, pos);
  }

  // ---- ranges, offsets, @ ----

  protected rangeSelector = this.RULE(
    'rangeSelector',
    (): RangeClause => {
      const l = this.CONSUME(LBracket);
      const range = this.SUBRULE(this.durationExpr);
      let step: DurationExpr | NumberLiteral | null = null;
      let colon = false;
      this.OPTION(() => {
        this.CONSUME(Colon);
        colon = true;
        this.OPTION2(() => {
          step = this.SUBRULE2(this.durationExpr);
        });
      });
      const r = this.CONSUME(RBracket);
      return { start: l.startOffset, end: tokEnd(r), range, colon, step };
    },
  );

  protected offsetClause = this.RULE('offsetClause', (): DurationExpr | NumberLiteral => {
    this.CONSUME(Offset);
    let sign: IToken | null = null;
    this.OPTION(() => {
      sign = this.CONSUME(UnaryOpCat);
    });
    const d = this.OR([
      { ALT: () => this.literalAction(this.CONSUME(NumberOrDurationCat)) },
      { ALT: () => this.SUBRULE(this.durationCall) },
      {
        ALT: () => {
          const l = this.CONSUME(LParen);
          const inner = this.SUBRULE(this.durationExpr);
          const r = this.CONSUME(RParen);
          return this.ACTION(() => wrapDuration(inner, pr(l.startOffset, tokEnd(r))));
        },
      },
    ]);
    return this.ACTION(() => {
      const s = sign as IToken | null;
      if (s === null) {
        if (d.type === 'NumberLiteral' && durationOutOfRange(d.val)) fail(this.ctx, d.posRange, 'duration out of range');
        return d;
      }
      return unaryDuration(this.ctx, s.image as '+' | '-', s.startOffset, d);
    });
  });

  protected atClause = this.RULE('atClause', (): { at: number | 'start' | 'end'; end: number } => {
    this.CONSUME(At);
    return this.OR([
      {
        ALT: () => {
          let neg = false;
          this.OPTION(() => {
            neg = this.CONSUME(UnaryOpCat).image === '-';
          });
          const t = this.CONSUME(NumberOrDurationCat);
          return this.ACTION(() => {
            const v = this.literalValue(t).val;
            return { at: neg ? -v : v, end: tokEnd(t) };
          });
        },
      },
      {
        ALT: () => {
          const which = this.OR2([{ ALT: () => this.CONSUME(Start) }, { ALT: () => this.CONSUME(End) }]);
          this.CONSUME(LParen);
          const r = this.CONSUME(RParen);
          return this.ACTION(() => ({ at: which.image.toLowerCase() as 'start' | 'end', end: tokEnd(r) }));
        },
      },
    ]);
  });

  // ---- duration expressions ----

  private durationExpr = this.RULE('durationExpr', (): DurationExpr | NumberLiteral => {
    const operands: (DurationExpr | NumberLiteral)[] = [this.SUBRULE(this.durationUnary)];
    const ops: IToken[] = [];
    this.MANY(() => {
      ops.push(this.OR([{ ALT: () => this.CONSUME(Add) }, { ALT: () => this.CONSUME(Sub) }, { ALT: () => this.CONSUME(Mul) }, { ALT: () => this.CONSUME(Div) }, { ALT: () => this.CONSUME(Mod) }]));
      operands.push(this.SUBRULE2(this.durationUnary));
    });
    return this.ACTION(() => this.foldDuration(operands, ops));
  });

  private foldDuration(operands: (DurationExpr | NumberLiteral)[], ops: IToken[]): DurationExpr | NumberLiteral {
    if (ops.length === 0) return operands[0]!;
    const out = [operands[0]!];
    const stack: number[] = [];
    const reduce = (): void => {
      const i = stack.pop()!;
      const rhs = out.pop()!;
      const lhs = out.pop()!;
      out.push(this.durationBinary(ops[i]!, lhs, rhs));
    };
    for (let i = 0; i < ops.length; i++) {
      const p = PREC[ops[i]!.image]!;
      while (stack.length > 0 && PREC[ops[stack[stack.length - 1]!]!.image]! >= p) reduce();
      stack.push(i);
      out.push(operands[i + 1]!);
    }
    while (stack.length > 0) reduce();
    return out[0]!;
  }

  private durationBinary(op: IToken, lhs: DurationExpr | NumberLiteral, rhs: DurationExpr | NumberLiteral): DurationExpr | NumberLiteral {
    if (!this.ctx.opts.enableDurationExpressions) fail(this.ctx, lhs.posRange, 'experimental duration expression is not enabled');
    const o = op.image === '^' ? '^' : DUR_OP[op.image]!;
    if (rhs.type === 'NumberLiteral' && rhs.val === 0 && (o === '/' || o === '%')) {
      fail(this.ctx, tokPos(op), o === '/' ? 'division by zero' : 'modulo by zero');
    }
    return durationExpr(o, lhs, rhs, pr(lhs.posRange.start, rhs.posRange.end));
  }

  private durationUnary = this.RULE('durationUnary', (): DurationExpr | NumberLiteral => {
    return this.OR([
      {
        ALT: () => {
          const op = this.CONSUME(UnaryOpCat);
          const e = this.SUBRULE(this.durationUnary);
          return this.ACTION(() => unaryDuration(this.ctx, op.image as '+' | '-', op.startOffset, e));
        },
      },
      { ALT: () => this.SUBRULE(this.durationPower) },
    ]);
  });

  private durationPower = this.RULE('durationPower', (): DurationExpr | NumberLiteral => {
    let e = this.SUBRULE(this.durationPrimary);
    this.OPTION(() => {
      const op = this.CONSUME(Pow);
      const rhs = this.SUBRULE(this.durationUnary);
      this.ACTION(() => {
        e = this.durationBinary(op, e, rhs);
      });
    });
    return e;
  });

  private durationPrimary = this.RULE('durationPrimary', (): DurationExpr | NumberLiteral => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(NumberOrDurationCat);
          return this.ACTION(() => {
            const nl = this.literalValue(t);
            if (durationOutOfRange(nl.val)) fail(this.ctx, nl.posRange, 'duration out of range');
            return nl;
          });
        },
      },
      { ALT: () => this.SUBRULE(this.durationCall) },
      {
        ALT: () => {
          const l = this.CONSUME(LParen);
          const inner = this.SUBRULE(this.durationExpr);
          const r = this.CONSUME(RParen);
          return this.ACTION(() => wrapDuration(inner, pr(l.startOffset, tokEnd(r))));
        },
      },
    ]);
  });

  /** `step()`, `range()`, `min_of(a, b)`, `max_of(a, b)`. */
  private durationCall = this.RULE('durationCall', (): DurationExpr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(Step) }, { ALT: () => this.CONSUME(Range) }]);
          this.CONSUME(LParen);
          const r = this.CONSUME(RParen);
          return this.ACTION(() => {
            const d = durationExpr(t.tokenType === Step ? 'step' : 'range', null, null, pr(t.startOffset, tokEnd(r)));
            if (!this.ctx.opts.enableDurationExpressions) fail(this.ctx, d.posRange, 'experimental duration expression is not enabled');
            return d;
          });
        },
      },
      {
        ALT: () => {
          const t = this.OR3([{ ALT: () => this.CONSUME(MinOf) }, { ALT: () => this.CONSUME(MaxOf) }]);
          this.CONSUME2(LParen);
          const a = this.SUBRULE(this.durationExpr);
          this.CONSUME(Comma);
          const b = this.SUBRULE2(this.durationExpr);
          const r = this.CONSUME2(RParen);
          return this.ACTION(() => {
            const d = durationExpr(t.tokenType === MinOf ? 'min_of' : 'max_of', a, b, pr(t.startOffset, tokEnd(r)));
            if (!this.ctx.opts.enableDurationExpressions) fail(this.ctx, d.posRange, 'experimental duration expression is not enabled');
            return d;
          });
        },
      },
    ]);
  });


  protected literalAction(t: IToken): NumberLiteral {
    return this.ACTION(() => this.literalValue(t));
  }
}
