/**
 * `FieldValidator`: collects field errors while walking untyped JSON, with typed
 * accessors that record a problem (and return undefined) when a field has the
 * wrong type or is out of range. Used by validation.ts and pod_validation.ts;
 * every list is bounded because the input is untrusted.
 */
import type { FieldError } from './api_error.js';
import { labelValue, qualifiedName } from './names.js';
import { parseQuantity, QUANTITY_FORMAT } from './quantity.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Upper bound of list lengths (containers, env, ports, …) we accept. */
export const MAX_ITEMS = 1000;

/** Collects field errors under a path. */
export class V {
  readonly errs: FieldError[] = [];
  invalid(field: string, value: unknown, detail: string): void {
    this.errs.push({ field, type: 'Invalid', value, detail });
  }
  required(field: string, detail = ''): void {
    this.errs.push({ field, type: 'Required', detail });
  }
  unsupported(field: string, value: unknown, allowed: readonly string[]): void {
    this.errs.push({ field, type: 'Unsupported', value, detail: `supported values: ${allowed.map((a) => `"${a}"`).join(', ')}` });
  }
  forbidden(field: string, detail: string): void {
    this.errs.push({ field, type: 'Forbidden', detail });
  }
  duplicate(field: string, value: unknown): void {
    this.errs.push({ field, type: 'Duplicate', value, detail: '' });
  }
  syntax(field: string, value: string, problems: string[]): void {
    for (const p of problems) this.invalid(field, value, p);
  }

  /** A string field; returns it or undefined (recording a type error). */
  str(o: Obj, key: string, path: string, required = false): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.invalid(`${path}.${key}`, v, 'must be a string');
      return undefined;
    }
    if (required && v === '') this.required(`${path}.${key}`);
    return v;
  }

  /** An integer field within [min, max]. */
  int(o: Obj, key: string, path: string, min: number, max = 2 ** 31 - 1, minText?: string): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an integer');
      return undefined;
    }
    if (v < min) this.invalid(`${path}.${key}`, v, minText ?? `must be greater than or equal to ${min}`);
    else if (v > max) this.invalid(`${path}.${key}`, v, `must be less than or equal to ${max}`);
    return v;
  }

  bool(o: Obj, key: string, path: string): void {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.invalid(`${path}.${key}`, v, 'must be a boolean');
  }

  /** An optional object field. */
  obj(o: Obj, key: string, path: string, required = false): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (!isObj(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an object');
      return undefined;
    }
    return v;
  }

  /** An optional array field (bounded length). */
  arr(o: Obj, key: string, path: string, required = false): unknown[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an array');
      return undefined;
    }
    if (v.length > MAX_ITEMS) {
      this.errs.push({ field: `${path}.${key}`, type: 'TooLong', detail: `must have at most ${MAX_ITEMS} items` });
      return undefined;
    }
    if (required && v.length === 0) this.required(`${path}.${key}`);
    return v;
  }

  /** A string → string map (labels, data); returns its entries. */
  map(o: Obj, key: string, path: string): [string, string][] {
    const m = this.obj(o, key, path);
    if (m === undefined) return [];
    const out: [string, string][] = [];
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') this.invalid(`${path}.${key}[${k}]`, v, 'must be a string');
      else out.push([k, v]);
    }
    return out;
  }

  stringArray(o: Obj, key: string, path: string): string[] | undefined {
    const a = this.arr(o, key, path);
    if (a === undefined) return undefined;
    a.forEach((x, i) => {
      if (typeof x !== 'string') this.invalid(`${path}.${key}[${i}]`, x, 'must be a string');
    });
    return a.filter((x): x is string => typeof x === 'string');
  }

  enumField<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[]): T | undefined {
    const v = this.str(o, key, path);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.unsupported(`${path}.${key}`, v, allowed);
      return undefined;
    }
    return v as T;
  }

  labels(o: Obj, key: string, path: string): void {
    for (const [k, v] of this.map(o, key, path)) {
      this.syntax(`${path}.${key}`, k, qualifiedName(k));
      this.syntax(`${path}.${key}`, v, labelValue(v));
    }
  }

  quantity(field: string, v: unknown): number | undefined {
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.invalid(field, v, `must be a quantity: ${QUANTITY_FORMAT}`);
      return undefined;
    }
    const q = typeof v === 'number' ? v : parseQuantity(v);
    if (q === null || !Number.isFinite(q)) {
      this.invalid(field, v, `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
      return undefined;
    }
    if (q < 0) this.invalid(field, v, 'must be greater than or equal to 0');
    return q;
  }
}

