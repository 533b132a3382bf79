/**
 * Label selectors: the string form (`?labelSelector=`, `vigil ctl -l`) and the
 * object form (`matchLabels` + `matchExpressions` in Deployments). Both turn
 * into a list of requirements that are ANDed; an empty list matches everything.
 *
 * String grammar (Kubernetes'): requirements separated by ',':
 *   key            the label exists          !key          it does not
 *   key=value      equal (also `==`)         key!=value    not equal, or absent
 *   key in (a,b)   one of                    key notin (a,b)  none of, or absent
 *   key>5 key<5    integer comparison (label must exist and be an integer)
 * Keys and values follow the label syntax (names.ts); whitespace around tokens is ignored.
 */
import { labelValue, qualifiedName } from './names.js';
import type { LabelSelector, StringMap } from './objects.js';

export type RequirementOperator = 'Exists' | 'DoesNotExist' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: RequirementOperator;
  /** For in/notin: the set; for = and !=: one value; for gt/lt: one integer as a string. */
  readonly values: readonly string[];
}

/** A parsed selector: requirements ANDed. */
export class Selector {
  readonly requirements: readonly Requirement[];
  constructor(requirements: readonly Requirement[]) {
    this.requirements = requirements;
  }

  /** Whether it selects everything. */
  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** Whether `labels` (undefined = none) satisfy every requirement. */
  matches(labels: StringMap | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) {
      const has = Object.hasOwn(l, r.key);
      const v = has ? l[r.key]! : '';
      switch (r.operator) {
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        case '=':
        case 'in':
          if (!has || !r.values.includes(v)) return false;
          break;
        case '!=':
        case 'notin':
          if (has && r.values.includes(v)) return false;
          break;
        case 'gt':
        case 'lt': {
          if (!has || !/^-?[0-9]+$/.test(v)) return false;
          const n = Number(v);
          const bound = Number(r.values[0]);
          if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
          break;
        }
      }
    }
    return true;
  }

  /** The string form (parses back to an equal selector). */
  toString(): string {
    return this.requirements
      .map((r) => {
        switch (r.operator) {
          case 'Exists':
            return r.key;
          case 'DoesNotExist':
            return `!${r.key}`;
          case '=':
          case '!=':
            return `${r.key}${r.operator}${r.values[0] ?? ''}`;
          case 'in':
          case 'notin':
            return `${r.key} ${r.operator} (${r.values.join(',')})`;
          case 'gt':
            return `${r.key}>${r.values[0]}`;
          case 'lt':
            return `${r.key}<${r.values[0]}`;
        }
        return '';
      })
      .join(',');
  }
}

/** A selector string that does not parse; `column` is 1-based. */
export class LabelSelectorError extends Error {
  readonly code = 'invalid_label_selector';
  readonly column: number;
  constructor(input: string, column: number, why: string) {
    super(`unable to parse label selector ${JSON.stringify(input)}: column ${column}: ${why}`);
    this.name = 'LabelSelectorError';
    this.column = column;
  }
}

/** Longest selector string accepted (untrusted input from URLs). */
export const MAX_SELECTOR_LENGTH = 4096;

const NAME_CHAR = /[A-Za-z0-9._/-]/;

/** Parses the string form. Throws `LabelSelectorError` saying where and what was expected. */
export function parseSelector(input: string): Selector {
  if (input.length > MAX_SELECTOR_LENGTH)
    throw new LabelSelectorError(input.slice(0, 32) + '…', 1, `longer than ${MAX_SELECTOR_LENGTH} characters`);
  let pos = 0;
  const fail = (why: string): never => {
    throw new LabelSelectorError(input, pos + 1, why);
  };
  const ws = () => {
    while (pos < input.length && (input[pos] === ' ' || input[pos] === '\t')) pos++;
  };
  const word = (): string => {
    const start = pos;
    while (pos < input.length && NAME_CHAR.test(input[pos]!)) pos++;
    return input.slice(start, pos);
  };
  const checkKey = (k: string, at: number) => {
    const p = qualifiedName(k);
    if (p.length > 0) {
      pos = at;
      fail(`invalid label key ${JSON.stringify(k)}: ${p.join('; ')}`);
    }
  };
  const checkValue = (v: string, at: number) => {
    const p = labelValue(v);
    if (p.length > 0) {
      pos = at;
      fail(`invalid label value ${JSON.stringify(v)}: ${p.join('; ')}`);
    }
  };
  const reqs: Requirement[] = [];
  ws();
  if (pos === input.length) return new Selector(reqs);
  for (;;) {
    ws();
    if (input[pos] === '!') {
      pos++;
      ws();
      const at = pos;
      const k = word();
      if (k === '') fail('expected a label key after "!"');
      checkKey(k, at);
      reqs.push({ key: k, operator: 'DoesNotExist', values: [] });
    } else {
      const at = pos;
      const k = word();
      if (k === '') fail(`expected a label key, found ${pos < input.length ? JSON.stringify(input[pos]) : 'end of input'}`);
      checkKey(k, at);
      ws();
      const c = input[pos];
      if (pos === input.length || c === ',') {
        reqs.push({ key: k, operator: 'Exists', values: [] });
      } else if (c === '=' || c === '!' || c === '>' || c === '<') {
        const OPS: readonly [string, RequirementOperator][] = [
          ['==', '='],
          ['!=', '!='],
          ['=', '='],
          ['>', 'gt'],
          ['<', 'lt'],
        ];
        const found = OPS.find(([tok]) => input.startsWith(tok, pos));
        if (found === undefined) fail('expected "!=" after "!"');
        const op = found![1];
        pos += found![0].length;
        ws();
        const vat = pos;
        const v = word();
        if (op === 'gt' || op === 'lt') {
          if (!/^-?[0-9]+$/.test(v)) {
            pos = vat;
            fail(`expected an integer after "${op === 'gt' ? '>' : '<'}", found ${JSON.stringify(v)}`);
          }
        } else checkValue(v, vat);
        reqs.push({ key: k, operator: op, values: [v] });
      } else {
        const opAt = pos;
        const w = word();
        if (w !== 'in' && w !== 'notin') {
          pos = opAt;
          fail(`expected one of "=", "==", "!=", "in", "notin", ">", "<", found ${JSON.stringify(w || c)}`);
        }
        ws();
        if (input[pos] !== '(') fail(`expected "(" after "${w}"`);
        pos++;
        const values: string[] = [];
        for (;;) {
          ws();
          const vat = pos;
          const v = word();
          checkValue(v, vat);
          values.push(v);
          ws();
          if (input[pos] === ',') {
            pos++;
            continue;
          }
          if (input[pos] === ')') {
            pos++;
            break;
          }
          fail(`expected "," or ")" in the value set, found ${pos < input.length ? JSON.stringify(input[pos]) : 'end of input'}`);
        }
        reqs.push({ key: k, operator: w === 'in' ? 'in' : 'notin', values: [...new Set(values)].sort() });
      }
    }
    ws();
    if (pos === input.length) break;
    if (input[pos] !== ',') fail(`expected "," between requirements, found ${JSON.stringify(input[pos])}`);
    pos++;
  }
  return new Selector(reqs);
}

/**
 * Converts the object form (already validated) to a Selector. matchLabels become `=` requirements,
 * In/NotIn/Exists/DoesNotExist map one to one; requirements are sorted by key like Kubernetes does.
 */
export function selectorFromObject(sel: LabelSelector | undefined): Selector {
  const reqs: Requirement[] = [];
  if (sel?.matchLabels) for (const [k, v] of Object.entries(sel.matchLabels)) reqs.push({ key: k, operator: '=', values: [v] });
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, operator: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, operator: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key: e.key, operator: 'Exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, operator: 'DoesNotExist', values: [] });
        break;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new Selector(reqs);
}

/** A selector matching exactly these labels (a Service's `spec.selector`). */
export function selectorFromMap(m: StringMap | undefined): Selector {
  return selectorFromObject({ matchLabels: m ?? {} });
}
