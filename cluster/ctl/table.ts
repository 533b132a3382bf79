/**
 * Column layout as kubectl prints tables (Go's tabwriter with minimum cell
 * width 6 and padding 3): every column but the last is padded to its widest
 * cell plus three spaces, and at least six characters wide.
 */

const MIN_WIDTH = 6;
const PADDING = 3;

/** Lays out `rows` (the header first, if any) as aligned lines; rows may have fewer cells than others. */
export function formatTable(rows: readonly (readonly string[])[], widths?: number[]): string[] {
  const w = widths ?? columnWidths(rows);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] ?? 0))).join(''));
}

/** The padded width of each column over `rows` (for printing later rows of a watch with the same layout). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const w: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length - 1; i++) w[i] = Math.max(w[i] ?? MIN_WIDTH, (r[i] ?? '').length + PADDING);
  }
  return w;
}

/**
 * Layout of kubectl's tabbed text outside `get` (rollout history, describe
 * sections): Go's tabwriter with padding 2 and no minimum width.
 */
export function formatTabbed(rows: readonly (readonly string[])[]): string[] {
  const w: number[] = [];
  for (const r of rows) for (let i = 0; i < r.length - 1; i++) w[i] = Math.max(w[i] ?? 0, (r[i] ?? '').length + 2);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] ?? 0))).join(''));
}
