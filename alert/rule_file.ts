/**
 * Prometheus rule files (`model/rulefmt`): YAML decoding with positions and
 * Prometheus's validation, producing the same error texts as promtool:
 * `5:15: group "yolo", rule 1, "yolo": could not parse expression: …`,
 * `3:5: groupname: "yolo" is repeated in the same file`,
 * `yaml: unmarshal errors:\n  line 8: field annotation not found in type rulefmt.Rule`.
 *
 * Decoding follows yaml.v3 as Prometheus configures it: unknown fields are errors
 * (unless `ignoreUnknownFields`), any scalar decodes into a string field, anchors,
 * aliases and merge keys (`<<`) work, only the first document is read.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type Document } from 'yaml';
import { parseExpr } from '../query/parser.js';
import { type NameValidationScheme, validLabelName, validLabelValue } from '../tsdb/config_reader.js';
import { DurationError, parseDuration } from '../tsdb/duration.js';
import { isValidLegacyMetricName } from '../tsdb/labels.js';
import { checkAlertTemplate } from './template/expander.js';

/** A 1-based position; `{0, 0}` when the node is absent (as yaml.v3 reports). */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

const NO_POS: Pos = { line: 0, col: 0 };

/** One rule as written. Durations are ms (0 when absent). */
export interface RuleNode {
  readonly record: string;
  readonly recordPos: Pos;
  readonly alert: string;
  readonly alertPos: Pos;
  readonly expr: string;
  readonly exprPos: Pos;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One group as written. */
export interface RuleGroupNode {
  readonly name: string;
  readonly pos: Pos;
  /** ms; 0 = the global evaluation interval. */
  readonly intervalMs: number;
  /** ms; null = the global rule_query_offset. */
  readonly queryOffsetMs: number | null;
  /** 0 = no limit. */
  readonly limit: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: RuleNode[];
}

/** Options of the rule file parser. */
export interface ParseRulesOptions {
  /** Accept unknown fields (promtool `--ignore-unknown-fields`). Default false. */
  ignoreUnknownFields?: boolean;
  /** Name validation; default `utf8` (Prometheus 3). */
  nameValidationScheme?: NameValidationScheme;
}

/** Result of parsing one file: groups (empty when decoding failed) and error texts in promtool's words. */
export interface ParsedRules {
  readonly groups: RuleGroupNode[];
  readonly errors: string[];
}

/** A rule file that cannot be used; `message` lists every problem, one per line. */
export class RuleFileError extends Error {
  readonly code = 'rule_file';
  readonly file: string;
  readonly errors: readonly string[];
  constructor(file: string, errors: readonly string[]) {
    super(errors.join('\n'));
    this.name = 'RuleFileError';
    this.file = file;
    this.errors = errors;
  }
}

/** Rule files larger than this are refused (untrusted input stays bounded). */
export const MAX_RULE_FILE_BYTES = 64 * 1024 * 1024;

class Decoder {
  readonly typeErrors: string[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly strict: boolean,
  ) {}

  pos(n: Node | null | undefined): Pos {
    if (n === null || n === undefined || n.range === undefined || n.range === null) return NO_POS;
    const p = this.lc.linePos(n.range[0]);
    return { line: p.line, col: p.col };
  }

  resolve(n: unknown): Node | null {
    let cur = n;
    for (let i = 0; i < 100 && isAlias(cur); i++) cur = cur.resolve(this.doc);
    if (cur === null || cur === undefined) return null;
    return cur as Node;
  }

  kind(n: Node | null): string {
    if (n === null) return '!!null';
    if (isMap(n)) return '!!map';
    if (isSeq(n)) return '!!seq';
    if (isScalar(n)) {
      const v = n.value;
      if (v === null) return '!!null';
      if (typeof v === 'number') return Number.isInteger(v) && !String(n.source ?? '').includes('.') ? '!!int' : '!!float';
      if (typeof v === 'boolean') return '!!bool';
      return '!!str';
    }
    return '!!unknown';
  }

  typeError(n: Node | null, into: string): void {
    const shown = n !== null && isScalar(n) ? ` \`${this.scalarText(n)}\`` : '';
    this.typeErrors.push(`line ${this.pos(n).line}: cannot unmarshal ${this.kind(n)}${shown} into ${into}`);
  }

  scalarText(n: Node): string {
    if (!isScalar(n)) return '';
    if (n.value === null) return '';
    if (typeof n.value === 'string') return n.value;
    if (typeof n.source === 'string') return n.source;
    return String(n.value);
  }

  /** Map entries with merge keys expanded (explicit keys win). */
  entries(n: Node | null, typeName: string, known: readonly string[] | null): Map<string, { key: Node; value: Node | null }> | null {
    const out = new Map<string, { key: Node; value: Node | null }>();
    if (n === null || isNullScalar(n)) return out;
    if (!isMap(n)) {
      this.typeError(n, typeName);
      return null;
    }
    const merged: Map<string, { key: Node; value: Node | null }>[] = [];
    for (const item of n.items) {
      if (!isPair(item)) continue;
      const k = this.resolve(item.key);
      const keyText = k === null ? '' : this.scalarText(k);
      if (k !== null && isScalar(k) && keyText === '<<') {
        const src = this.resolve(item.value);
        const srcs = src !== null && isSeq(src) ? src.items.map((x) => this.resolve(x)) : [src];
        for (const s of srcs) {
          const m = this.entries(s, typeName, known);
          if (m !== null) merged.push(m);
        }
        continue;
      }
      if (this.strict && known !== null && !known.includes(keyText)) {
        this.typeErrors.push(`line ${this.pos(k).line}: field ${keyText} not found in type ${typeName.replace(/^\*/, '')}`);
        continue;
      }
      out.set(keyText, { key: k as Node, value: this.resolve(item.value) });
    }
    for (const m of merged) for (const [k, v] of m) if (!out.has(k)) out.set(k, v);
    return out;
  }

  str(n: Node | null | undefined): string {
    if (n === null || n === undefined) return '';
    if (!isScalar(n)) {
      this.typeError(n, 'string');
      return '';
    }
    return this.scalarText(n);
  }

  int(n: Node | null | undefined): number {
    if (n === null || n === undefined) return 0;
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) return n.value;
    this.typeError(n, 'int');
    return 0;
  }

  stringMap(n: Node | null | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (n === null || n === undefined) return out;
    const m = this.entries(n, 'map[string]string', null);
    if (m === null) return out;
    for (const [k, { value }] of m) out[k] = this.str(value);
    return out;
  }
}

/** Thrown for a bad duration value (Go's model.Duration error text, no position, as Prometheus reports it). */
class DurationFieldError extends Error {}

function duration(d: Decoder, n: Node | null | undefined): number {
  if (n === null || n === undefined) return 0;
  const s = d.str(n);
  try {
    return parseDuration(s);
  } catch (e) {
    if (e instanceof DurationError) throw new DurationFieldError(`not a valid duration string: ${JSON.stringify(s)}`);
    throw e;
  }
}

const GROUPS_FIELDS = ['groups'];
const GROUP_FIELDS = ['name', 'interval', 'query_offset', 'limit', 'rules', 'labels'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

function isNullScalar(n: Node): boolean {
  return isScalar(n) && n.value === null;
}

function decode(d: Decoder, root: Node | null): RuleGroupNode[] {
  const top = d.entries(root, 'rulefmt.RuleGroups', GROUPS_FIELDS);
  const groupsNode = top?.get('groups')?.value ?? null;
  const groups: RuleGroupNode[] = [];
  if (groupsNode === null || isNullScalar(groupsNode)) return groups;
  if (!isSeq(groupsNode)) {
    d.typeError(groupsNode, '[]rulefmt.RuleGroup');
    return groups;
  }
  for (const gi of groupsNode.items) {
    const gn = d.resolve(gi);
    const g = d.entries(gn, 'rulefmt.RuleGroup', GROUP_FIELDS);
    if (g === null) continue;
    const rules: RuleNode[] = [];
    const rulesNode = g.get('rules')?.value ?? null;
    if (rulesNode !== null && !isNullScalar(rulesNode) && !isSeq(rulesNode)) d.typeError(rulesNode, '[]rulefmt.Rule');
    else if (rulesNode !== null && isSeq(rulesNode)) {
      for (const ri of rulesNode.items) {
        const rn = d.resolve(ri);
        const r = d.entries(rn, 'rulefmt.Rule', RULE_FIELDS);
        if (r === null) continue;
        const rec = r.get('record')?.value ?? null;
        const al = r.get('alert')?.value ?? null;
        const ex = r.get('expr')?.value ?? null;
        rules.push({
          record: d.str(rec),
          recordPos: d.pos(rec),
          alert: d.str(al),
          alertPos: d.pos(al),
          expr: d.str(ex),
          exprPos: d.pos(ex),
          forMs: duration(d, r.get('for')?.value),
          keepFiringForMs: duration(d, r.get('keep_firing_for')?.value),
          labels: d.stringMap(r.get('labels')?.value),
          annotations: d.stringMap(r.get('annotations')?.value),
        });
      }
    }
    const qo = g.get('query_offset')?.value ?? null;
    groups.push({
      name: d.str(g.get('name')?.value),
      pos: d.pos(gn),
      intervalMs: duration(d, g.get('interval')?.value),
      queryOffsetMs: qo === null ? null : duration(d, qo),
      limit: d.int(g.get('limit')?.value),
      labels: d.stringMap(g.get('labels')?.value),
      rules,
    });
  }
  return groups;
}

function ruleError(g: string, i: number, r: RuleNode, msg: string, pos: Pos | null, alt: Pos | null): string {
  const name = r.alert !== '' ? r.alert : r.record;
  let where = '';
  if (pos !== null) where += `${pos.line}:${pos.col}: `;
  if (alt !== null) where += `${alt.line}:${alt.col}: `;
  return `${where}group ${goQuote(g)}, rule ${i + 1}, ${goQuote(name)}: ${msg}`;
}

/** Go `%q` for plain text. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function validMetricName(n: string, scheme: NameValidationScheme): boolean {
  return scheme === 'legacy' ? isValidLegacyMetricName(n) : n.length > 0 && validLabelValue(n);
}

/** Prometheus's `RuleGroups.Validate` + `Rule.Validate`. */
export function validateGroups(groups: readonly RuleGroupNode[], scheme: NameValidationScheme): string[] {
  const errs: string[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    if (g.name === '') errs.push(`${g.pos.line}:${g.pos.col}: Groupname must not be empty`);
    if (seen.has(g.name)) errs.push(`${g.pos.line}:${g.pos.col}: groupname: ${goQuote(g.name)} is repeated in the same file`);
    for (const [k, v] of sortedEntries(g.labels)) {
      if (!validLabelName(k, scheme) || k === '__name__') errs.push(`invalid label name: ${k}`);
      if (!validLabelValue(v)) errs.push(`invalid label value: ${v}`);
    }
    seen.add(g.name);
    g.rules.forEach((r, i) => {
      const e = (msg: string, pos: Pos | null = null, alt: Pos | null = null): void => {
        errs.push(ruleError(g.name, i, r, msg, pos, alt));
      };
      if (r.record !== '' && r.alert !== '') e("only one of 'record' and 'alert' must be set", r.recordPos, r.alertPos);
      if (r.record === '' && r.alert === '') e("one of 'record' or 'alert' must be set", r.recordPos, r.alertPos);
      if (r.expr === '') e("field 'expr' must be set in rule", r.exprPos);
      else {
        try {
          parseExpr(r.expr);
        } catch (x) {
          e(`could not parse expression: ${x instanceof Error ? x.message : String(x)}`, r.exprPos);
        }
      }
      if (r.record !== '') {
        if (Object.keys(r.annotations).length > 0) e("invalid field 'annotations' in recording rule", r.recordPos);
        if (r.forMs !== 0) e("invalid field 'for' in recording rule", r.recordPos);
        if (r.keepFiringForMs !== 0) e("invalid field 'keep_firing_for' in recording rule", r.recordPos);
        if (!validMetricName(r.record, scheme)) e(`invalid recording rule name: ${r.record}`, r.recordPos);
        if (r.record.includes('{') || r.record.includes('}')) {
          e(`braces present in the recording rule name; should it be in expr?: ${r.record}`, r.recordPos);
        }
      }
      for (const [k, v] of sortedEntries(r.labels)) {
        if (!validLabelName(k, scheme) || k === '__name__') e(`invalid label name: ${k}`);
        if (!validLabelValue(v)) e(`invalid label value: ${v}`);
      }
      for (const [k] of sortedEntries(r.annotations)) if (!validLabelName(k, scheme)) e(`invalid annotation name: ${k}`);
      if (r.alert !== '') {
        for (const [k, v] of sortedEntries(r.labels)) {
          const err = checkAlertTemplate(`__alert_${r.alert}`, v);
          if (err !== null) e(`label ${goQuote(k)}: ${err}`);
        }
        for (const [k, v] of sortedEntries(r.annotations)) {
          const err = checkAlertTemplate(`__alert_${r.alert}`, v);
          if (err !== null) e(`annotation ${goQuote(k)}: ${err}`);
        }
      }
    });
  }
  return errs;
}

function sortedEntries(r: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Parses and validates rule file content. Error texts carry no file name. */
export function parseRules(content: string, opts: ParseRulesOptions = {}): ParsedRules {
  const lc = new LineCounter();
  const docs = parseAllDocuments(content, { lineCounter: lc, merge: true, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const doc = list[0];
  if (doc === undefined) return { groups: [], errors: [] };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lc.linePos(e.pos[0]);
    const msg = e.message.split('\n')[0] ?? e.message;
    return { groups: [], errors: [`yaml: line ${p.line}: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`] };
  }
  const d = new Decoder(doc, lc, opts.ignoreUnknownFields !== true);
  let groups: RuleGroupNode[];
  try {
    groups = decode(d, d.resolve(doc.contents));
  } catch (e) {
    if (e instanceof DurationFieldError) return { groups: [], errors: [e.message] };
    throw e;
  }
  if (d.typeErrors.length > 0) return { groups: [], errors: [`yaml: unmarshal errors:\n  ${d.typeErrors.join('\n  ')}`] };
  return { groups, errors: validateGroups(groups, opts.nameValidationScheme ?? 'utf8') };
}

/** Reads and parses `path`; errors are prefixed `path: ` as promtool prints them. */
export async function parseRuleFile(path: string, opts: ParseRulesOptions = {}): Promise<ParsedRules> {
  let content: string;
  try {
    const st = await stat(path);
    if (st.size > MAX_RULE_FILE_BYTES) return { groups: [], errors: [`${path}: file is larger than ${MAX_RULE_FILE_BYTES} bytes`] };
    content = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'ENOENT' ? 'no such file or directory' : err.message;
    return { groups: [], errors: [`${path}: open ${path}: ${what}`] };
  }
  const r = parseRules(content, opts);
  return { groups: r.groups, errors: r.errors.map((e) => `${path}: ${e}`) };
}
