/**
 * Executes a parsed template (parser.ts) against data, with Go `text/template`
 * semantics: pipelines pass the previous command's value as the last argument,
 * `range` over slices, maps (sorted keys) and integers, `with`/`if` truthiness,
 * variables scoped to their control structure, `missingkey=zero` for maps, and
 * the builtins `and or not len index print printf println eq ne lt le gt ge html
 * js urlquery slice`.
 *
 * Functions may be async (the Prometheus `query` function is), so execution is
 * async. Errors read like Go's:
 * `template: NAME:LINE:COL: executing "NAME" at <CMD>: error calling F: …`.
 */
import type { ArgNode, Cmd, Node, ParsedTemplate, Pipe } from './parser.js';
import { callMethod, hasMethod } from './go_time.js';
import { sprint, sprintf, sprintln } from './printf.js';
import { FuncError, GoDuration, GoMap, GoStruct, GoTime, printValue, type TValue, truth, typeName } from './value.js';

/** A template function: receives evaluated arguments; throws `FuncError` (or any Error) to fail. */
export type TemplateFunc = (...args: TValue[]) => TValue | Promise<TValue>;

/** An execution failure; `message` is Go's text. */
export class TemplateExecError extends Error {
  readonly code = 'template_exec';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

class Break {}
class Continue {}

/** Bound on range iterations and output size, so a hostile template cannot run away. */
const MAX_OUTPUT = 1 << 20;
const MAX_STEPS = 1_000_000;

class State {
  out = '';
  vars: { name: string; value: TValue }[] = [];
  steps = 0;
  constructor(
    readonly tmpl: ParsedTemplate,
    readonly funcs: ReadonlyMap<string, TemplateFunc>,
  ) {}

  fail(pos: number, cmdText: string | null, msg: string): TemplateExecError {
    let line = 1;
    let lastNl = -1;
    for (let i = 0; i < pos; i++) {
      if (this.tmpl.text.charCodeAt(i) === 10) {
        line++;
        lastNl = i;
      }
    }
    const col = pos - lastNl - 1;
    const at = cmdText === null ? '' : ` at <${cmdText}>`;
    return new TemplateExecError(`template: ${this.tmpl.name}:${line}:${col}: executing "${this.tmpl.name}"${at}: ${msg}`);
  }

  lookupVar(name: string): TValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return null;
  }

  setVar(name: string, value: TValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
  }

  write(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT) throw new TemplateExecError(`template: ${this.tmpl.name}: output larger than ${MAX_OUTPUT} bytes`);
  }
}

function method(st: State, pos: number, cmd: Cmd, recv: GoTime | GoDuration, name: string, args: readonly TValue[]): TValue {
  try {
    return callMethod(recv, name, args);
  } catch (e) {
    throw st.fail(pos, cmd.text, `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function field(st: State, pos: number, cmd: Cmd, recv: TValue, name: string): TValue {
  if ((recv instanceof GoTime || recv instanceof GoDuration) && hasMethod(recv, name)) return method(st, pos, cmd, recv, name, []);
  if (recv instanceof GoMap) return recv.entries.has(name) ? recv.entries.get(name)! : recv.zero;
  if (recv instanceof GoStruct) {
    if (recv.fields.has(name)) return recv.fields.get(name)!;
    throw st.fail(pos, cmd.text, `can't evaluate field ${name} in type ${recv.typeName}`);
  }
  if (recv === null) throw st.fail(pos, cmd.text, `nil pointer evaluating interface {}.${name}`);
  throw st.fail(pos, cmd.text, `can't evaluate field ${name} in type ${typeName(recv)}`);
}

function fieldChain(st: State, pos: number, cmd: Cmd, recv: TValue, idents: readonly string[]): TValue {
  let v = recv;
  for (const id of idents) v = field(st, pos, cmd, v, id);
  return v;
}

async function evalArg(st: State, dot: TValue, n: ArgNode, cmd: Cmd, pos: number): Promise<TValue> {
  switch (n.kind) {
    case 'dot':
      return dot;
    case 'nil':
      return null;
    case 'bool':
      return n.value;
    case 'string':
      return n.value;
    case 'number':
      return n.isInt ? n.int : n.float;
    case 'field':
      return fieldChain(st, pos, cmd, dot, n.idents);
    case 'variable':
      return fieldChain(st, pos, cmd, st.lookupVar(n.name), n.idents);
    case 'pipe':
      return evalPipe(st, dot, n.pipe, pos, false);
    case 'chain':
      return fieldChain(st, pos, cmd, await evalArg(st, dot, n.node, cmd, pos), n.fields);
    case 'identifier':
      return callFunc(st, dot, n.name, [], null, cmd, pos);
  }
}

async function callFunc(st: State, dot: TValue, name: string, argNodes: readonly ArgNode[], final: TValue | undefined, cmd: Cmd, pos: number): Promise<TValue> {
  const hasFinal = final !== undefined;
  if (name === 'and' || name === 'or') {
    const all: (ArgNode | { kind: 'final' })[] = [...argNodes];
    if (hasFinal) all.push({ kind: 'final' });
    if (all.length === 0) throw st.fail(pos, cmd.text, `wrong number of args for ${name}: want at least 1 got 0`);
    let v: TValue = null;
    for (const a of all) {
      v = a.kind === 'final' ? (final as TValue) : await evalArg(st, dot, a, cmd, pos);
      if (truth(v) === (name === 'or')) return v;
    }
    return v;
  }
  const fn = st.funcs.get(name);
  if (fn === undefined) throw st.fail(pos, cmd.text, `"${name}" is not a defined function`);
  const args: TValue[] = [];
  for (const a of argNodes) args.push(await evalArg(st, dot, a, cmd, pos));
  if (hasFinal) args.push(final);
  try {
    return await fn(...args);
  } catch (e) {
    if (e instanceof TemplateExecError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw st.fail(pos, cmd.text, `error calling ${name}: ${msg}`);
  }
}

async function evalCommand(st: State, dot: TValue, cmd: Cmd, final: TValue | undefined, pos: number): Promise<TValue> {
  const first = cmd.args[0]!;
  if (first.kind === 'identifier') return callFunc(st, dot, first.name, cmd.args.slice(1), final, cmd, pos);
  if (cmd.args.length > 1 || final !== undefined) {
    // A method call with arguments: `.Format "2006"`, `$t.Add $d`, `(x).Format "…"`.
    const idents = first.kind === 'field' || first.kind === 'variable' ? first.idents : first.kind === 'chain' ? first.fields : [];
    if (idents.length > 0) {
      const last = idents[idents.length - 1]!;
      const head = idents.slice(0, -1);
      let recv: TValue;
      if (first.kind === 'field') recv = fieldChain(st, pos, cmd, dot, head);
      else if (first.kind === 'variable') recv = fieldChain(st, pos, cmd, st.lookupVar(first.name), head);
      else if (first.kind === 'chain') recv = fieldChain(st, pos, cmd, await evalArg(st, dot, first.node, cmd, pos), head);
      else recv = null;
      if ((recv instanceof GoTime || recv instanceof GoDuration) && hasMethod(recv, last)) {
        const args: TValue[] = [];
        for (const a of cmd.args.slice(1)) args.push(await evalArg(st, dot, a, cmd, pos));
        if (final !== undefined) args.push(final);
        return method(st, pos, cmd, recv, last, args);
      }
    }
    throw st.fail(pos, cmd.text, `can't give argument to non-function ${cmd.text.split(/\s/)[0]}`);
  }
  return evalArg(st, dot, first, cmd, pos);
}

async function evalPipe(st: State, dot: TValue, pipe: Pipe, pos: number, declare: boolean): Promise<TValue> {
  let v: TValue | undefined;
  for (const cmd of pipe.cmds) v = await evalCommand(st, dot, cmd, v, cmd.pos ?? pos);
  const value = v === undefined ? null : v;
  for (const d of pipe.decl) {
    if (pipe.isAssign) st.setVar(d, value);
    else if (declare) st.vars.push({ name: d, value });
  }
  return value;
}

async function walkList(st: State, dot: TValue, list: readonly Node[]): Promise<void> {
  for (const n of list) await walk(st, dot, n);
}

async function walk(st: State, dot: TValue, n: Node): Promise<void> {
  if (++st.steps > MAX_STEPS) throw new TemplateExecError(`template: ${st.tmpl.name}: too many steps`);
  switch (n.kind) {
    case 'text':
      st.write(n.text);
      return;
    case 'action': {
      const v = await evalPipe(st, dot, n.pipe, n.pipe.cmds[0]?.pos ?? n.pos, true);
      if (n.pipe.decl.length === 0) st.write(v === null ? '<no value>' : printValue(v));
      return;
    }
    case 'break':
      throw new Break();
    case 'continue':
      throw new Continue();
    case 'if':
    case 'with': {
      const mark = st.vars.length;
      const v = await evalPipe(st, dot, n.pipe, n.pipe.cmds[0]?.pos ?? n.pos, true);
      if (truth(v)) await walkList(st, n.kind === 'with' ? v : dot, n.list);
      else if (n.elseList !== null) await walkList(st, dot, n.elseList);
      st.vars.length = mark;
      return;
    }
    case 'range': {
      const mark = st.vars.length;
      const decl = n.pipe.decl;
      const v = await evalPipe(st, dot, { decl: [], isAssign: false, cmds: n.pipe.cmds }, n.pipe.cmds[0]?.pos ?? n.pos, false);
      const items: [TValue, TValue][] = [];
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) items.push([BigInt(i), v[i]!]);
      }
      else if (v instanceof GoMap) for (const k of [...v.entries.keys()].sort()) items.push([k, v.entries.get(k)!]);
      else if (typeof v === 'bigint') for (let i = 0n; i < v && i < BigInt(MAX_STEPS); i++) items.push([i, i]);
      else if (v !== null) throw st.fail(n.pipe.cmds[0]?.pos ?? n.pos, null, `range can't iterate over ${printValue(v)}`);
      if (items.length === 0) {
        if (n.elseList !== null) await walkList(st, dot, n.elseList);
        st.vars.length = mark;
        return;
      }
      for (const [k, e] of items) {
        st.vars.length = mark;
        if (decl.length === 1) st.vars.push({ name: decl[0]!, value: e });
        else if (decl.length === 2) {
          st.vars.push({ name: decl[0]!, value: k });
          st.vars.push({ name: decl[1]!, value: e });
        }
        try {
          await walkList(st, e, n.list);
        } catch (x) {
          if (x instanceof Break) break;
          if (x instanceof Continue) continue;
          throw x;
        }
      }
      st.vars.length = mark;
      return;
    }
  }
}

/** Executes `tmpl` with `data` as dot (and `$`). Rejects with `TemplateExecError`. */
export async function executeTemplate(tmpl: ParsedTemplate, data: TValue, funcs: ReadonlyMap<string, TemplateFunc>): Promise<string> {
  const st = new State(tmpl, funcs);
  st.vars.push({ name: '$', value: data });
  await walkList(st, data, tmpl.root);
  return st.out;
}

function basicKind(v: TValue): 'bool' | 'int' | 'float' | 'string' | 'other' {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function compare(a: TValue, b: TValue, orderOnly: boolean): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'other' || kb === 'other') {
    if (orderOnly) throw new FuncError('invalid type for comparison');
    if (a === null || b === null) {
      if (a === b) return 0;
      throw new FuncError('invalid type for comparison');
    }
    throw new FuncError('invalid type for comparison');
  }
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  if (ka === 'bool') {
    if (orderOnly) throw new FuncError('invalid type for comparison');
    return a === b ? 0 : 1;
  }
  if (a === b) return 0;
  // NaN compares unequal and unordered, as in Go.
  if (typeof a === 'number' && typeof b === 'number' && (Number.isNaN(a) || Number.isNaN(b))) return Number.NaN;
  return (a as number | bigint | string) < (b as number | bigint | string) ? -1 : 1;
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c);
}

function evalArgsString(args: TValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

/** Go's builtin template functions. */
export const BUILTINS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['and', () => null],
  ['or', () => null],
  ['not', (v) => !truth(v ?? null)],
  [
    'len',
    (v) => {
      if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
      if (Array.isArray(v)) return BigInt(v.length);
      if (v instanceof GoMap) return BigInt(v.entries.size);
      throw new FuncError(`len of type ${typeName(v ?? null)}`);
    },
  ],
  [
    'index',
    (v, ...keys) => {
      let cur: TValue = v ?? null;
      for (const k of keys) {
        if (cur instanceof GoMap) {
          if (typeof k !== 'string') throw new FuncError(`value has type ${typeName(k)}; should be string`);
          cur = cur.entries.has(k) ? cur.entries.get(k)! : cur.zero;
        } else if (Array.isArray(cur)) {
          if (typeof k !== 'bigint') throw new FuncError(`cannot index slice/array with type ${typeName(k)}`);
          if (k < 0n || k >= BigInt(cur.length)) throw new FuncError(`index out of range: ${k}`);
          cur = cur[Number(k)]!;
        } else if (cur === null) throw new FuncError('index of untyped nil');
        else throw new FuncError(`can't index item of type ${typeName(cur)}`);
      }
      return cur;
    },
  ],
  ['print', (...a) => sprint(a)],
  [
    'printf',
    (f, ...a) => {
      if (typeof f !== 'string') throw new FuncError(`wrong type for value; expected string; got ${typeName(f ?? null)}`);
      return sprintf(f, a);
    },
  ],
  ['println', (...a) => sprintln(a)],
  [
    'eq',
    (a, ...bs) => {
      if (bs.length === 0) throw new FuncError('missing argument for comparison');
      for (const b of bs) if (compare(a ?? null, b, false) === 0) return true;
      return false;
    },
  ],
  ['ne', (a, b) => compare(a ?? null, b ?? null, false) !== 0],
  ['lt', (a, b) => compare(a ?? null, b ?? null, true) < 0],
  ['le', (a, b) => compare(a ?? null, b ?? null, true) <= 0],
  ['gt', (a, b) => compare(a ?? null, b ?? null, true) > 0],
  ['ge', (a, b) => compare(a ?? null, b ?? null, true) >= 0],
  ['html', (...a) => htmlEscape(evalArgsString(a))],
  ['js', (...a) => evalArgsString(a).replace(/[\\'"<>&=\n\r\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)],
  ['urlquery', (...a) => encodeURIComponent(evalArgsString(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)],
  [
    'slice',
    (v, ...idx) => {
      const ns = idx.map((i) => {
        if (typeof i !== 'bigint') throw new FuncError(`cannot index slice/array with type ${typeName(i)}`);
        return Number(i);
      });
      if (typeof v === 'string' || Array.isArray(v)) return v.slice(ns[0] ?? 0, ns[1] ?? v.length);
      throw new FuncError(`can't slice item of type ${typeName(v ?? null)}`);
    },
  ],
]);
