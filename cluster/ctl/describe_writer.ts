/**
 * The layout of `describe` output, as kubectl's describers lay it out: `Key:`
 * and value pairs where consecutive pairs share one value column (two spaces
 * after the longest key of the run, as Go's tabwriter with padding 2 does),
 * nested levels indented by two spaces, multi-line values continued under the
 * value column, and tables (Events) aligned column by column.
 */
import { ageOf } from './age.js';
import type { Event } from '../api/objects.js';
import { eventTime } from './printers.js';
import { formatTabbed } from './table.js';

type Line = { kind: 'pair'; indent: number; key: string; values: string[] } | { kind: 'text'; text: string } | { kind: 'table'; indent: number; rows: string[][] };

export class DescribeWriter {
  private readonly lines: Line[] = [];

  /** `Key:  value`; a multi-line value (array) continues under the value column; empty → `<none>`. */
  pair(indent: number, key: string, value: string | readonly string[]): this {
    const values = typeof value === 'string' ? [value] : value.length === 0 ? ['<none>'] : [...value];
    this.lines.push({ kind: 'pair', indent, key, values: values.map((v) => (v === '' ? '<none>' : v)) });
    return this;
  }

  /** A heading or free text line, e.g. `Containers:`. */
  text(indent: number, text: string): this {
    this.lines.push({ kind: 'text', text: ' '.repeat(indent * 2) + text });
    return this;
  }

  /** An aligned table (the first row is the header). */
  table(indent: number, rows: string[][]): this {
    this.lines.push({ kind: 'table', indent, rows });
    return this;
  }

  /** The rendered lines. */
  render(): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const l = this.lines[i]!;
      if (l.kind === 'text') {
        out.push(l.text);
        i++;
        continue;
      }
      if (l.kind === 'table') {
        for (const line of formatTabbed(l.rows)) out.push(' '.repeat(l.indent * 2) + line);
        i++;
        continue;
      }
      // A run of consecutive pairs shares one value column.
      let j = i;
      let width = 0;
      while (j < this.lines.length && this.lines[j]!.kind === 'pair') {
        const p = this.lines[j] as Extract<Line, { kind: 'pair' }>;
        width = Math.max(width, p.indent * 2 + p.key.length + 1 + 2);
        j++;
      }
      for (let k = i; k < j; k++) {
        const p = this.lines[k] as Extract<Line, { kind: 'pair' }>;
        const head = `${' '.repeat(p.indent * 2)}${p.key}:`;
        out.push(head.padEnd(width) + p.values[0]);
        for (const more of p.values.slice(1)) out.push(' '.repeat(width) + more);
      }
      i = j;
    }
    return out;
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3339 time as describe prints times (RFC 1123 with a numeric zone, UTC): `Thu, 01 Feb 2024 17:03:39 +0000`. */
export function describeTime(ts: string | undefined): string {
  if (ts === undefined) return '<unset>';
  const t = new Date(ts);
  if (Number.isNaN(t.getTime())) return ts;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[t.getUTCDay()]}, ${two(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} +0000`;
}

/** The `Events:` section: a table of Type/Reason/Age/From/Message, or `<none>`. */
export function writeEvents(w: DescribeWriter, events: readonly Event[], nowMs: number): void {
  if (events.length === 0) {
    w.pair(0, 'Events', '<none>');
    return;
  }
  const sorted = [...events].sort((a, b) => (eventTime(a) ?? '').localeCompare(eventTime(b) ?? ''));
  const rows = [
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    ['----', '------', '----', '----', '-------'],
    ...sorted.map((e) => {
      const last = ageOf(eventTime(e), nowMs);
      const age = (e.count ?? 1) > 1 ? `${last} (x${e.count} over ${ageOf(e.firstTimestamp ?? e.metadata.creationTimestamp, nowMs)})` : last;
      return [e.type, e.reason, age, e.source?.component ?? '', e.message];
    }),
  ];
  w.text(0, 'Events:');
  w.table(1, rows);
}
