/**
 * Parser for the Go `text/template` subset (see lexer.ts): builds the node tree
 * and, like Go, rejects undefined variables and functions at parse time
 * (`template: NAME:1: undefined variable "$label"`).
 *
 * Supported actions: output pipelines, variable declaration/assignment,
 * `if`/`else if`/`else`, `range` (with `$i, $e :=`, `else`, `break`, `continue`),
 * `with`/`else with`/`else`, `end`, comments. `define`/`template`/`block` are rejected.
 */
import { lex, type Token, TemplateParseError } from './lexer.js';

export type ArgNode =
  | { readonly kind: 'field'; readonly idents: string[] }
  | { readonly kind: 'variable'; readonly name: string; readonly idents: string[] }
  | { readonly kind: 'dot' }
  | { readonly kind: 'nil' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'number'; readonly isInt: boolean; readonly int: bigint; readonly float: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'identifier'; readonly name: string }
  | { readonly kind: 'chain'; readonly node: ArgNode; readonly fields: string[] }
  | { readonly kind: 'pipe'; readonly pipe: Pipe };

/** One command of a pipeline: operands, the first possibly a function or method. */
export interface Cmd {
  readonly args: ArgNode[];
  /** Source text (for error messages `at <…>`). */
  readonly text: string;
  readonly pos: number;
}

export interface Pipe {
  readonly decl: string[];
  readonly isAssign: boolean;
  readonly cmds: Cmd[];
}

export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipe; readonly pos: number }
  | { readonly kind: 'if' | 'with' | 'range'; readonly pipe: Pipe; readonly list: Node[]; readonly elseList: Node[] | null; readonly pos: number }
  | { readonly kind: 'break' | 'continue' };

/** A parsed template. */
export interface ParsedTemplate {
  readonly name: string;
  readonly text: string;
  readonly root: Node[];
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly toks: Token[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  private err(tok: Token, msg: string): TemplateParseError {
    return new TemplateParseError(this.name, tok.line, msg);
  }
  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.type !== 'eof') this.i++;
    return t;
  }
  private peekNonSpace(): Token {
    while (this.peek().type === 'space') this.i++;
    return this.peek();
  }
  private nextNonSpace(): Token {
    this.peekNonSpace();
    return this.next();
  }

  /** Parses items until one of `stops` keywords (returned) or EOF (returns 'eof'). */
  parseList(stops: readonly string[]): { list: Node[]; stop: string; tok: Token } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'eof') {
        if (stops.length > 0) throw this.err(t, 'unexpected EOF');
        return { list, stop: 'eof', tok: t };
      }
      if (t.type === 'text') {
        list.push({ kind: 'text', text: t.val });
        continue;
      }
      // leftDelim
      const k = this.peekNonSpace();
      if (k.type === 'identifier') {
        switch (k.val) {
          case 'end':
          case 'else': {
            if (!stops.includes(k.val)) throw this.err(k, `unexpected {{${k.val}}}`);
            this.next();
            return { list, stop: k.val, tok: k };
          }
          case 'if':
          case 'with':
          case 'range': {
            this.next();
            list.push(this.parseControl(k.val, k));
            continue;
          }
          case 'break':
          case 'continue': {
            this.next();
            if (this.rangeDepth === 0) throw this.err(k, `{{${k.val}}} outside {{range}}`);
            const e = this.nextNonSpace();
            if (e.type !== 'rightDelim') throw this.err(e, `unexpected ${JSON.stringify(e.val)} in {{${k.val}}}`);
            list.push({ kind: k.val });
            continue;
          }
          case 'define':
          case 'template':
          case 'block':
            throw this.err(k, `{{${k.val}}} is not supported in rule templates`);
        }
      }
      const pipe = this.pipeline('command', true);
      list.push({ kind: 'action', pipe, pos: k.pos });
    }
  }

  private parseControl(kind: 'if' | 'with' | 'range', tok: Token): Node {
    const saved = this.vars.length;
    const pipe = this.pipeline(kind, kind === 'range' ? 2 : 1);
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList(['end', 'else']);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.stop === 'else') {
      const k = this.peekNonSpace();
      if ((kind === 'if' || kind === 'with') && k.type === 'identifier' && k.val === kind) {
        // `{{else if …}}` is `{{else}}{{if …}}…{{end}}` sharing the outer {{end}}.
        this.next();
        elseList = [this.parseControl(kind, k)];
      } else {
        const e = this.nextNonSpace();
        if (e.type !== 'rightDelim') throw this.err(e, `unexpected ${JSON.stringify(e.val)} in else`);
        const rest = this.parseList(['end']);
        elseList = rest.list;
        this.expectRightDelim('end');
      }
    } else {
      this.expectRightDelim('end');
    }
    this.vars.length = saved;
    return { kind, pipe, list: body.list, elseList, pos: tok.pos };
  }

  private expectRightDelim(ctx: string): void {
    const e = this.nextNonSpace();
    if (e.type !== 'rightDelim') throw this.err(e, `unexpected ${JSON.stringify(e.val)} in ${ctx}`);
  }

  /** Parses a pipeline up to `}}` (consumed). `maxDecl`: variables a declaration may have (true = 1). */
  private pipeline(ctx: string, maxDecl: number | true): Pipe {
    const decl: string[] = [];
    let isAssign = false;
    const max = maxDecl === true ? 1 : maxDecl;
    // Declarations: `$x :=`, `$x =`, `$i, $e :=`.
    const start = this.i;
    const v = this.peekNonSpace();
    if (v.type === 'variable') {
      const names: string[] = [v.val];
      let j = this.i + 1;
      const skip = (): void => {
        while (this.toks[j]?.type === 'space') j++;
      };
      skip();
      if (this.toks[j]?.type === 'comma' && max >= 2) {
        j++;
        skip();
        const v2 = this.toks[j];
        if (v2?.type === 'variable') {
          names.push(v2.val);
          j++;
          skip();
        }
      }
      const op = this.toks[j];
      if (op?.type === 'declare' || (op?.type === 'assign' && names.length === 1)) {
        this.i = j + 1;
        if (op.type === 'assign') {
          isAssign = true;
          if (!this.vars.includes(names[0]!)) throw this.err(v, `undefined variable "${names[0]}"`);
        }
        decl.push(...names);
      } else {
        this.i = start;
      }
    }
    const cmds: Cmd[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'rightDelim') {
        this.next();
        break;
      }
      if (t.type === 'eof') throw this.err(t, `unclosed action`);
      cmds.push(this.command());
      const s = this.peekNonSpace();
      if (s.type === 'pipe') {
        this.next();
        if (this.peekNonSpace().type === 'rightDelim') throw this.err(s, 'missing command');
      } else if (s.type !== 'rightDelim') {
        throw this.err(s, `unexpected ${JSON.stringify(s.val)} in ${ctx}`);
      }
    }
    if (cmds.length === 0) throw this.err(this.toks[this.i - 1]!, `missing value for ${ctx}`);
    if (!isAssign) for (const d of decl) this.vars.push(d);
    return { decl, isAssign, cmds };
  }

  private command(): Cmd {
    const args: ArgNode[] = [];
    const startTok = this.peekNonSpace();
    let end = startTok.pos;
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'rightDelim' || t.type === 'pipe' || t.type === 'rightParen' || t.type === 'eof') break;
      args.push(this.operand());
      const last = this.toks[this.i - 1]!;
      end = last.pos + last.val.length;
      const after = this.peek();
      if (after.type !== 'space' && after.type !== 'rightDelim' && after.type !== 'pipe' && after.type !== 'rightParen') {
        throw this.err(after, `unexpected ${JSON.stringify(after.val)} in operand`);
      }
    }
    if (args.length === 0) throw this.err(startTok, 'empty command');
    return { args, text: this.text.slice(startTok.pos, end), pos: startTok.pos };
  }

  private operand(): ArgNode {
    let node = this.term();
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    if (fields.length === 0) return node;
    if (node.kind === 'field') return { kind: 'field', idents: [...node.idents, ...fields] };
    if (node.kind === 'variable') return { kind: 'variable', name: node.name, idents: [...node.idents, ...fields] };
    if (node.kind === 'bool' || node.kind === 'string' || node.kind === 'number' || node.kind === 'nil' || node.kind === 'dot') {
      throw this.err(this.toks[this.i - 1]!, `unexpected . after term ${JSON.stringify(this.text.slice(0, 0))}`);
    }
    node = { kind: 'chain', node, fields };
    return node;
  }

  private term(): ArgNode {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier': {
        if (t.val === 'true' || t.val === 'false') return { kind: 'bool', value: t.val === 'true' };
        if (t.val === 'nil') return { kind: 'nil' };
        if (!this.funcs.has(t.val)) throw this.err(t, `function "${t.val}" not defined`);
        return { kind: 'identifier', name: t.val };
      }
      case 'dot':
        return { kind: 'dot' };
      case 'variable': {
        if (!this.vars.includes(t.val)) throw this.err(t, `undefined variable "${t.val}"`);
        return { kind: 'variable', name: t.val, idents: [] };
      }
      case 'field':
        return { kind: 'field', idents: [t.val.slice(1)] };
      case 'string':
        return { kind: 'string', value: unquoteGo(t.val, this.name, t.line) };
      case 'rawString':
        return { kind: 'string', value: t.val.slice(1, -1).replaceAll('\r', '') };
      case 'char': {
        const s = unquoteGo(`"${t.val.slice(1, -1)}"`, this.name, t.line);
        const cp = s.codePointAt(0) ?? 0;
        return { kind: 'number', isInt: true, int: BigInt(cp), float: cp, text: t.val };
      }
      case 'number':
        return parseNumber(t, this.name);
      case 'leftParen': {
        const pipe = this.parenPipeline();
        return { kind: 'pipe', pipe };
      }
      default:
        throw this.err(t, `unexpected ${JSON.stringify(t.val)} in operand`);
    }
  }

  private parenPipeline(): Pipe {
    const cmds: Cmd[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'rightParen') {
        this.next();
        break;
      }
      if (t.type === 'rightDelim' || t.type === 'eof') throw this.err(t, 'unclosed left paren');
      cmds.push(this.command());
      const s = this.peekNonSpace();
      if (s.type === 'pipe') this.next();
      else if (s.type !== 'rightParen') throw this.err(s, `unexpected ${JSON.stringify(s.val)} in parenthesized pipeline`);
    }
    if (cmds.length === 0) throw this.err(this.toks[this.i - 1]!, 'missing value for parenthesized pipeline');
    return { decl: [], isAssign: false, cmds };
  }
}

function parseNumber(t: Token, name: string): ArgNode {
  const s = t.val.replaceAll('_', '');
  if (s.endsWith('i')) throw new TemplateParseError(name, t.line, `complex numbers are not supported: ${t.val}`);
  if (/^[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.test(s)) {
    const neg = s.startsWith('-');
    let body = s.replace(/^[+-]/, '');
    if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
    const b = BigInt(body);
    const int = neg ? -b : b;
    return { kind: 'number', isInt: true, int, float: Number(int), text: t.val };
  }
  const f = Number(s);
  if (Number.isNaN(f) || s === '' || s === '+' || s === '-') throw new TemplateParseError(name, t.line, `bad number syntax: "${t.val}"`);
  return { kind: 'number', isInt: false, int: 0n, float: f, text: t.val };
}

/** Go `strconv.Unquote` for a double-quoted string. */
export function unquoteGo(q: string, name: string, line: number): string {
  const body = q.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (n !== undefined && map[n] !== undefined) {
      out += map[n];
      continue;
    }
    const hexLen = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const h = body.slice(i + 1, i + 1 + hexLen);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== hexLen) throw new TemplateParseError(name, line, `invalid syntax: ${q}`);
      out += String.fromCodePoint(Number.parseInt(h, 16));
      i += hexLen;
      continue;
    }
    if (n !== undefined && /[0-7]/.test(n)) {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o)) throw new TemplateParseError(name, line, `invalid syntax: ${q}`);
      out += String.fromCharCode(Number.parseInt(o, 8));
      i += 2;
      continue;
    }
    throw new TemplateParseError(name, line, `invalid syntax: ${q}`);
  }
  return out;
}

/** Parses `text` as template `name`; `funcs` are the defined function names. Throws `TemplateParseError`. */
export function parseTemplate(name: string, text: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const p = new Parser(name, text, lex(name, text), funcs);
  const { list } = p.parseList([]);
  return { name, text, root: list };
}
