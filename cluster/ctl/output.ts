/**
 * `-o yaml|json|name` and the table output of `get`, including the rows a watch
 * prints as events arrive (kubectl prints the header once, then one row per event).
 */
import { stringify } from 'yaml';
import type { ApiObject } from '../api/objects.js';
import { resourceForKind } from '../api/resources.js';
import { UsageError } from '../../cmd/cli.js';
import { columnWidths, formatTable } from './table.js';
import { headerFor, nameRef, type PrintOptions, rowFor } from './printers.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

/** Parses `-o`; '' = table. */
export function parseOutput(v: string): OutputFormat {
  if (v === '') return 'table';
  if (v === 'wide' || v === 'yaml' || v === 'json' || v === 'name') return v;
  throw new UsageError(`unable to match a printer suitable for the output format "${v}", allowed formats are: json,name,wide,yaml`);
}

/** JSON as kubectl prints it (4-space indent). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, null, 4);
}

/** YAML without a document marker. */
export function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0 }).replace(/\n$/, '');
}

/** `-o name` of an object. */
export function objectName(o: ApiObject): string {
  const info = resourceForKind(o.apiVersion, o.kind);
  return info === undefined ? `${o.kind.toLowerCase()}/${o.metadata.name}` : nameRef(info, o.metadata.name);
}

/** A `List` wrapper as kubectl prints several objects in yaml/json. */
export function asList(items: readonly ApiObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** Prints `objs` (of one kind) in a non-table format; `single` prints one object bare. */
export function printStructured(objs: readonly ApiObject[], format: 'yaml' | 'json' | 'name', single: boolean, log: (s: string) => void): void {
  if (format === 'name') {
    for (const o of objs) log(objectName(o));
    return;
  }
  const v = single && objs.length === 1 ? objs[0] : asList(objs);
  log(format === 'json' ? toJson(v) : toYaml(v));
}

/** A table printer that remembers its column widths so later (watch) rows line up with the first batch. */
export class TablePrinter {
  private widths: number[] | null = null;
  private headerPrinted = false;
  constructor(
    private readonly kind: string,
    private readonly opts: PrintOptions,
    private readonly log: (s: string) => void,
  ) {}

  /** Prints rows (with the header the first time). */
  print(objs: readonly ApiObject[]): void {
    const rows = objs.map((o) => rowFor(o, this.opts));
    const all = this.headerPrinted ? rows : [headerFor(this.kind, this.opts), ...rows];
    if (this.widths === null) this.widths = columnWidths(all);
    else {
      // A wider cell later widens its column from then on (tabwriter does the same per flushed block).
      const w = columnWidths(all);
      this.widths = this.widths.map((x, i) => Math.max(x, w[i] ?? 0));
    }
    this.headerPrinted = true;
    for (const line of formatTable(all, this.widths)) this.log(line);
  }
}
