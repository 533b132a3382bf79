/**
 * A typed reader over YAML documents that knows where every value came from.
 *
 * Every configuration section parser (global, scrape, alerting, remote storage, ...)
 * reads its fields through a `MapReader`, which converts YAML nodes to typed values
 * with the rules of Go's yaml.v2 (which Prometheus uses: YAML 1.1 booleans such as
 * `yes`/`on`, plain scalars read verbatim into strings, `null` meaning "not set"),
 * rejects unknown fields, warns about known-but-unimplemented ones, and reports every
 * problem as a `ConfigError` located at `FILE:LINE:COL` with the field's path, e.g.
 * `prometheus.yml:12:5: scrape_configs[1].scrape_interval: expected a duration such as
 * 15s or 1m30s, received "5 minutes"`.
 *
 * Readers have no side effects beyond collecting warnings on their `ConfigDoc`, so a
 * failed parse can simply be thrown away (config reload keeps the old configuration).
 */
import { isAbsolute, join } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { type ConfigErrorCode, ConfigError, type ConfigLocation, ConfigWarning } from './config_error.js';
import { isValidLabelName, isValidLegacyLabelName } from './labels.js';
import { DurationError, parseDuration } from './duration.js';
import { parseSize, SizeError } from './size.js';

export { type ConfigErrorCode, ConfigError, type ConfigLocation, ConfigWarning } from './config_error.js';

/** Which label names are valid: Prometheus 3's default `utf8`, or the classic `legacy` charset. */
export type NameValidationScheme = 'utf8' | 'legacy';

/** Whether `name` is a valid label name under `scheme`. */
export function validLabelName(name: string, scheme: NameValidationScheme): boolean {
  return scheme === 'legacy' ? isValidLegacyLabelName(name) : isValidLabelName(name);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `v` is a valid label value: any well-formed UTF-8 (no lone surrogates). */
export function validLabelValue(v: string): boolean {
  return !LONE_SURROGATE.test(v);
}

/** How many alias dereferences one document may cause, so that "billion laughs" documents stay cheap. */
const MAX_ALIAS_RESOLUTIONS = 100_000;

/** A parsed YAML configuration document with line information. */
export class ConfigDoc {
  readonly file: string;
  readonly text: string;
  /** Warnings collected while reading (unimplemented fields, ...), in document order of reading. */
  readonly warnings: ConfigWarning[];
  private readonly lines: LineCounter;
  private readonly doc: Document.Parsed;
  private aliasesLeft: number;

  private constructor(file: string, text: string, lines: LineCounter, doc: Document.Parsed) {
    this.file = file;
    this.text = text;
    this.warnings = [];
    this.lines = lines;
    this.doc = doc;
    this.aliasesLeft = MAX_ALIAS_RESOLUTIONS;
  }

  /**
   * Parses `text` as YAML 1.1 (like Go's yaml.v2). `file` is only used in messages.
   * Throws `ConfigError` (`yaml_syntax`) at the first syntax error.
   */
  static parse(text: string, file: string): ConfigDoc {
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      version: '1.1',
      // Positions come from node ranges and the line counter, and scalars keep their source text
      // anyway; the CST tokens (keepSourceTokens) would only cost memory and time.
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
    });
    const cd = new ConfigDoc(file, text, lines, doc);
    const err = doc.errors[0];
    if (err !== undefined) {
      const pos = lines.linePos(err.pos[0]);
      // yaml appends " at line L, column C:" plus a source excerpt; the location is already in front.
      const detail = err.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
      throw new ConfigError('yaml_syntax', { file, line: pos.line, column: pos.col, fieldPath: '' }, `invalid YAML: ${detail}`);
    }
    return cd;
  }

  /** The top-level mapping (an empty one for an empty document). Throws if the document is not a mapping. */
  root(): MapReader {
    const n = this.resolve(this.doc.contents as Node | null);
    if (n === null || (isScalar(n) && n.value === null)) return new MapReader(this, null, '', null);
    if (!isMap(n)) {
      throw new ConfigError('wrong_type', this.locOf(n, ''), `expected a mapping of configuration sections, received ${describe(n)}`);
    }
    return new MapReader(this, n, '', n);
  }

  /**
   * For documents that are a list of mappings (file SD target groups): one reader per
   * item, with paths `[i]`. An empty document is an empty list.
   */
  rootMapList(what: string): MapReader[] {
    const n = this.resolve(this.doc.contents as Node | null);
    if (n === null || (isScalar(n) && n.value === null)) return [];
    if (!isSeq(n)) throw new ConfigError('wrong_type', this.locOf(n, ''), `expected a list of ${what}s, received ${describe(n)}`);
    return (n.items as (Node | null)[]).map((x, i) => {
      const it = this.resolve(x);
      if (it === null || !isMap(it)) {
        throw new ConfigError('wrong_type', this.locOf(x ?? n, `[${i}]`), `expected a ${what} (a mapping), received ${describe(it)}`);
      }
      return new MapReader(this, it, `[${i}]`, it);
    });
  }

  /** The location of `node` (its first character), labelled with `fieldPath`. */
  locOf(node: Node | null, fieldPath: string): ConfigLocation {
    if (node === null || node.range == null) return { file: this.file, line: 1, column: 1, fieldPath };
    const p = this.lines.linePos(node.range[0]);
    return { file: this.file, line: p.line, column: p.col, fieldPath };
  }

  /** Follows aliases (within the document's alias budget). */
  resolve(node: Node | null | undefined): Node | null {
    let n: Node | null | undefined = node;
    let hops = 0;
    while (n != null && isAlias(n)) {
      if (--this.aliasesLeft < 0 || ++hops > 100) {
        throw new ConfigError('too_large', this.locOf(n, ''), `too many alias references (more than ${MAX_ALIAS_RESOLUTIONS})`);
      }
      const alias = n;
      try {
        n = alias.resolve(this.doc) as Node | undefined;
      } catch (e) {
        // The yaml library recurses without end on an alias inside the node its anchor names
        // (`&a {<<: *a}`): report it as the recursive alias it is.
        if (!(e instanceof RangeError)) throw e;
        throw new ConfigError('yaml_syntax', this.locOf(alias, ''), `invalid YAML: alias *${alias.source} refers to a node that contains it (a recursive alias)`);
      }
    }
    return n ?? null;
  }

  /** Records a warning that a known Prometheus field is not implemented and is ignored. */
  warnUnimplemented(node: Node | null, fieldPath: string, what = 'is not implemented in Vigil yet and is ignored'): void {
    this.warnings.push(new ConfigWarning(this.locOf(node, fieldPath), what));
  }
}

/** How a node reads in an error message: `"15 minutes"`, `a list`, `a mapping`. */
export function describe(n: Node | null): string {
  if (n === null) return 'nothing';
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    if (n.value === null) return 'null';
    return JSON.stringify(scalarText(n));
  }
  return 'an unsupported YAML node';
}

/** The text of a scalar as Go's yaml.v2 reads it into a string: plain scalars verbatim. */
function scalarText(n: Scalar): string {
  if (n.type === 'PLAIN' && typeof n.source === 'string') return n.source;
  const v = n.value;
  if (typeof v === 'string') return v;
  if (typeof n.source === 'string') return n.source;
  return String(v);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The string value of a scalar, or the reason it has none: `!!binary` scalars must be
 * valid base64 whose bytes are valid UTF-8 (Go would carry the raw bytes on and reject
 * them later as label names or values; no string field accepts invalid UTF-8).
 */
function scalarString(n: Scalar): { text: string } | { error: string } {
  if (!(n.value instanceof Uint8Array)) return { text: scalarText(n) };
  const b64 = (n.source ?? '').replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return { error: `!!binary value contains invalid base64 data: ${JSON.stringify(b64)}` };
  try {
    return { text: UTF8.decode(n.value) };
  } catch {
    return { error: 'expected valid UTF-8 text, received !!binary data that is not UTF-8' };
  }
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Prometheus's patRulePath: `*` only in the last path element. */
const GLOB_PATH = /^[^*]*(\*[^/]*)?$/;

/**
 * Joins a path from a configuration file with the file's directory, as Prometheus does:
 * `''`, absolute paths, and everything when `dir` is `''` stay as they are.
 */
export function joinDir(dir: string, p: string): string {
  if (p === '' || dir === '' || isAbsolute(p)) return p;
  return join(dir, p);
}

/** The known name within edit distance 2 of `name` (a likely typo), or null. */
function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    if (Math.abs(k.length - name.length) >= bestD) continue;
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

interface Field {
  readonly key: Node;
  readonly value: Node | null;
}

/**
 * Typed access to one YAML mapping. Getters take the field name and a default used
 * when the field is absent or `null`; they throw `ConfigError` for values of the wrong
 * type or shape. `fields()` must be called first to reject unknown keys.
 */
export class MapReader {
  readonly doc: ConfigDoc;
  /** Path of this mapping, e.g. `scrape_configs[0]`; `''` for the document root. */
  readonly path: string;
  /** The node errors about the mapping as a whole point at (the mapping, or the field holding it). */
  private readonly anchor: Node | null;
  private readonly entries: Map<string, Field>;

  constructor(doc: ConfigDoc, node: YAMLMap | null, path: string, anchor: Node | null) {
    this.doc = doc;
    this.path = path;
    this.anchor = anchor;
    this.entries = new Map();
    if (node !== null) this.collect(node, true, new Set());
  }

  /** Gathers the fields of `node` and of the mappings it merges (`<<`); `merging` holds the mappings being merged (cycles are errors). */
  private collect(node: YAMLMap, explicit: boolean, merging: Set<YAMLMap>): void {
    if (merging.has(node)) {
      throw new ConfigError('yaml_syntax', this.doc.locOf(node, this.path), 'invalid YAML: a merge (<<) includes the mapping it is in (a recursive alias)');
    }
    merging.add(node);
    const merges: Node[] = [];
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      if (k !== null && isScalar(k) && typeof k.value === 'symbol') {
        merges.push(pair.value as Node);
        continue;
      }
      const key = this.doc.resolve(k);
      if (key === null || !isScalar(key)) {
        throw new ConfigError('wrong_type', this.doc.locOf(k ?? this.anchor, this.path), `expected field names, received ${describe(key)} as a key`);
      }
      const name = key.value === null ? '' : this.textAt(key, this.path);
      // Explicit keys win over merged ones (`<<: *defaults`).
      if (explicit || !this.entries.has(name)) {
        this.entries.set(name, { key, value: (pair.value as Node | null) ?? null });
      }
    }
    for (const m of merges) {
      const r = this.doc.resolve(m);
      const sources = r !== null && isSeq(r) ? (r.items as Node[]).map((x) => this.doc.resolve(x)) : [r];
      for (const s of sources) {
        if (s === null || !isMap(s)) {
          throw new ConfigError('wrong_type', this.doc.locOf(m, this.path), `expected a mapping to merge with <<, received ${describe(s)}`);
        }
        this.collect(s, false, merging);
      }
    }
    merging.delete(node);
  }

  /** The path of field `key` of this mapping. */
  childPath(key: string): string {
    // Keys that are not identifiers (label names with dots, empty keys) are shown quoted.
    if (!SIMPLE_KEY.test(key)) return `${this.path}[${JSON.stringify(key)}]`;
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** The string value of scalar `n` (at `path`); throws `ConfigError` for unusable binary data. */
  textAt(n: Scalar, path: string): string {
    const r = scalarString(n);
    if ('error' in r) throw new ConfigError('bad_value', this.doc.locOf(n, path), r.error);
    return r.text;
  }

  /** The field names present, in document order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether `key` is present with a non-null value. */
  has(key: string): boolean {
    return this.node(key) !== null;
  }

  /**
   * Rejects fields other than `known` and `unimplemented` (an `unknown_field` error at the
   * first one), and records a warning for each `unimplemented` field present.
   */
  fields(known: readonly string[], unimplemented: readonly string[] = []): void {
    for (const [name, f] of this.entries) {
      if (known.includes(name)) continue;
      if (unimplemented.includes(name)) {
        this.doc.warnUnimplemented(f.key, this.childPath(name));
        continue;
      }
      const near = closest(name, known);
      const hint = near !== null ? ` (did you mean ${JSON.stringify(near)}?)` : known.length <= 12 ? `; expected one of ${known.join(', ')}` : '';
      throw new ConfigError('unknown_field', this.doc.locOf(f.key, this.childPath(name)), `unknown field ${JSON.stringify(name)}${hint}`);
    }
  }

  /** The location of the mapping itself. */
  loc(): ConfigLocation {
    return this.doc.locOf(this.anchor, this.path);
  }

  /** The location of field `key` (its name), or of the mapping when the field is absent. */
  keyLoc(key: string): ConfigLocation {
    const f = this.entries.get(key);
    return this.doc.locOf(f === undefined ? this.anchor : f.key, this.childPath(key));
  }

  /** The location of the value of `key` (falling back to its name, then the mapping). */
  valueLoc(key: string): ConfigLocation {
    const f = this.entries.get(key);
    if (f === undefined) return this.doc.locOf(this.anchor, this.childPath(key));
    return this.doc.locOf(f.value ?? f.key, this.childPath(key));
  }

  /** Records a warning about field `key` (e.g. "is validated but not applied yet"), located at its name. */
  warn(key: string, detail: string): void {
    this.doc.warnings.push(new ConfigWarning(this.keyLoc(key), detail));
  }

  /** An error about field `key`, located at its name. */
  errorAt(key: string, code: ConfigErrorCode, detail: string, inline = false): ConfigError {
    return new ConfigError(code, this.keyLoc(key), detail, inline);
  }

  /** An error about the value of field `key`, located at the value. */
  valueError(key: string, code: ConfigErrorCode, detail: string): ConfigError {
    return new ConfigError(code, this.valueLoc(key), detail);
  }

  /** An error about the mapping as a whole. */
  error(code: ConfigErrorCode, detail: string): ConfigError {
    return new ConfigError(code, this.loc(), detail);
  }

  /** The resolved value node of `key`, or null when absent or YAML null. */
  node(key: string): Node | null {
    const f = this.entries.get(key);
    if (f === undefined) return null;
    const n = this.doc.resolve(f.value);
    if (n === null || (isScalar(n) && n.value === null)) return null;
    return n;
  }

  private scalar(key: string, expected: string): Scalar | null {
    const n = this.node(key);
    if (n === null) return null;
    if (!isScalar(n)) throw this.valueError(key, 'wrong_type', `expected ${expected}, received ${describe(n)}`);
    return n;
  }

  /** A string field; plain scalars are taken verbatim (`1.0` stays `1.0`). */
  str(key: string, def = ''): string {
    const n = this.scalar(key, 'a string');
    return n === null ? def : this.textAt(n, this.childPath(key));
  }

  /** A boolean field (`true`/`false`, and YAML 1.1's `yes`/`no`/`on`/`off`). */
  bool(key: string, def: boolean): boolean {
    const n = this.scalar(key, 'a boolean (true or false)');
    if (n === null) return def;
    if (typeof n.value !== 'boolean' || n.type !== 'PLAIN') {
      throw this.valueError(key, 'wrong_type', `expected a boolean (true or false), received ${describe(n)}`);
    }
    return n.value;
  }

  /** An integer field within `[min, max]`. */
  int(key: string, def: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.scalar(key, 'an integer');
    if (n === null) return def;
    // Like Go's yaml.v2, a float is accepted and truncated (`1e3` is 1000, `1.5` is 1).
    const v = typeof n.value === 'number' ? Math.trunc(n.value) : n.value;
    if (typeof v !== 'number' || n.type !== 'PLAIN' || !Number.isFinite(v)) {
      throw this.valueError(key, 'wrong_type', `expected an integer, received ${describe(n)}`);
    }
    if (v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      throw this.valueError(key, 'bad_value', `expected an integer ${range}, received ${scalarText(n)}`);
    }
    return v;
  }

  /** A non-negative integer field (Go `uint`). */
  uint(key: string, def: number): number {
    return this.int(key, def, 0);
  }

  /** A floating-point number field. */
  float(key: string, def: number): number {
    const n = this.scalar(key, 'a number');
    if (n === null) return def;
    if (typeof n.value !== 'number' || n.type !== 'PLAIN') {
      throw this.valueError(key, 'wrong_type', `expected a number, received ${describe(n)}`);
    }
    return n.value;
  }

  /** A Prometheus duration field, in milliseconds. */
  duration(key: string, def: number): number {
    const n = this.scalar(key, 'a duration such as 15s or 1m30s');
    if (n === null) return def;
    const s = this.textAt(n, this.childPath(key));
    try {
      return parseDuration(s);
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      throw this.valueError(key, 'bad_value', `expected a duration such as 15s or 1m30s, received ${JSON.stringify(s)} (${e.reason})`);
    }
  }

  /** A byte size field such as `512MB` or `1GiB` (powers of 1024), in bytes. */
  size(key: string, def: number): number {
    const n = this.scalar(key, 'a size such as 512MB');
    if (n === null) return def;
    const s = this.textAt(n, this.childPath(key));
    try {
      return parseSize(s);
    } catch (e) {
      if (!(e instanceof SizeError)) throw e;
      throw this.valueError(key, 'bad_value', `expected a size such as 512MB or 1GiB, received ${JSON.stringify(s)} (${e.reason})`);
    }
  }

  /** The items of a list field (resolved; null items stay null), or `[]` when absent. */
  items(key: string, expected = 'a list'): (Node | null)[] {
    const n = this.node(key);
    if (n === null) return [];
    if (!isSeq(n)) throw this.valueError(key, 'wrong_type', `expected ${expected}, received ${describe(n)}`);
    return (n.items as (Node | null)[]).map((x) => {
      const r = this.doc.resolve(x);
      return r !== null && isScalar(r) && r.value === null ? null : r;
    });
  }

  /** The location of item `i` of list field `key`. */
  itemLoc(key: string, i: number): ConfigLocation {
    const n = this.node(key);
    const path = `${this.childPath(key)}[${i}]`;
    if (n === null || !isSeq(n)) return this.doc.locOf(null, path);
    return this.doc.locOf((n.items[i] as Node | undefined) ?? n, path);
  }

  /** A list of strings; a single scalar is not accepted (as in Prometheus). */
  strList(key: string): string[] {
    const out: string[] = [];
    this.items(key, 'a list of strings').forEach((it, i) => {
      if (it === null) {
        out.push('');
        return;
      }
      if (!isScalar(it)) {
        throw new ConfigError('wrong_type', this.itemLoc(key, i), `expected a string, received ${describe(it)}`);
      }
      out.push(this.textAt(it, `${this.childPath(key)}[${i}]`));
    });
    return out;
  }

  /**
   * A list of file paths or globs with `*` allowed only in the last path element (as
   * Prometheus requires for `rule_files` and `scrape_config_files`), joined with `dir`.
   */
  globList(key: string, dir: string): string[] {
    const list = this.strList(key);
    list.forEach((f, i) => {
      if (!GLOB_PATH.test(f)) {
        throw new ConfigError('bad_value', this.itemLoc(key, i), `expected a file path or glob with * only in the last path element, received ${JSON.stringify(f)}`);
      }
    });
    return list.map((f) => joinDir(dir, f));
  }

  /** A list of label names valid under `scheme`. */
  labelNameList(key: string, scheme: NameValidationScheme): string[] {
    const names = this.strList(key);
    names.forEach((n, i) => {
      if (!validLabelName(n, scheme)) {
        throw new ConfigError('bad_value', this.itemLoc(key, i), `expected a valid label name, received ${JSON.stringify(n)}`);
      }
    });
    return names;
  }

  /** A mapping field as a reader, or null when absent/null. */
  map(key: string): MapReader | null {
    const n = this.node(key);
    if (n === null) return null;
    if (!isMap(n)) throw this.valueError(key, 'wrong_type', `expected a mapping, received ${describe(n)}`);
    return new MapReader(this.doc, n, this.childPath(key), this.entries.get(key)?.key ?? n);
  }

  /**
   * A list of mappings, each as a reader with path `key[i]`. A null item is an error
   * (Prometheus: "empty or null ... section"); `what` names the item in that message.
   */
  mapList(key: string, what: string): MapReader[] {
    return this.items(key, `a list of ${what}s`).map((it, i) => {
      const path = `${this.childPath(key)}[${i}]`;
      if (it === null) throw new ConfigError('missing_field', this.itemLoc(key, i), `empty or null ${what}`);
      if (!isMap(it)) {
        throw new ConfigError('wrong_type', this.itemLoc(key, i), `expected a ${what} (a mapping), received ${describe(it)}`);
      }
      return new MapReader(this.doc, it, path, it);
    });
  }

  /** A mapping of strings to strings (e.g. HTTP headers), in document order. */
  strMap(key: string): Record<string, string> {
    const m = this.map(key);
    if (m === null) return {};
    const entries: [string, string][] = [];
    for (const k of m.keys()) {
      const n = m.node(k);
      if (n !== null && !isScalar(n)) throw m.valueError(k, 'wrong_type', `expected a string, received ${describe(n)}`);
      entries.push([k, n === null ? '' : m.textAt(n, m.childPath(k))]);
    }
    return Object.fromEntries(entries);
  }

  /** A mapping of label names (valid under `scheme`) to label values. */
  labelMap(key: string, scheme: NameValidationScheme): Record<string, string> {
    const m = this.map(key);
    const out = this.strMap(key);
    if (m === null) return out;
    for (const [k, v] of Object.entries(out)) {
      if (!validLabelName(k, scheme)) throw m.errorAt(k, 'bad_value', `expected a valid label name, received ${JSON.stringify(k)}`);
      if (!validLabelValue(v)) throw m.valueError(k, 'bad_value', `expected a valid UTF-8 label value, received ${JSON.stringify(v)}`);
    }
    return out;
  }
}
