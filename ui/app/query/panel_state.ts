/**
 * The state of one query panel and its URL form, compatible with Prometheus's
 * shareable links: `g<N>.expr`, `g<N>.tab` (`0` graph, `1` table; also `graph`/`table`),
 * `g<N>.range_input` (`1h`), `g<N>.end_input` (`YYYY-MM-DD HH:MM:SS`, empty = now),
 * `g<N>.moment_input` (2.x's table time, read as end), `g<N>.step_input` (seconds),
 * `g<N>.stacked` (`1`).
 */
import { formatDateTime, formatDuration, parseDateTime, parseDuration } from '../format.js';

export type Tab = 'graph' | 'table';

export interface PanelState {
  expr: string;
  tab: Tab;
  /** Graph range in ms. */
  rangeMs: number;
  /** End (graph) or evaluation time (table) in ms; null = now. */
  endMs: number | null;
  /** Resolution in seconds; null = automatic (range / 250, at least 1 s). */
  stepSec: number | null;
  stacked: boolean;
}

export const DEFAULT_RANGE_MS = 3_600_000;

export function defaultPanel(expr = ''): PanelState {
  return { expr, tab: 'table', rangeMs: DEFAULT_RANGE_MS, endMs: null, stepSec: null, stacked: false };
}

/** The automatic step (seconds) for a range, as Prometheus's UI picks it. */
export function autoStepSec(rangeMs: number): number {
  return Math.max(Math.floor(rangeMs / 1000 / 250), 1);
}

/** Panels from URL parameters, in index order; [] when none. */
export function panelsFromParams(p: URLSearchParams): PanelState[] {
  const byIndex = new Map<number, PanelState>();
  for (const [key, value] of p) {
    const m = /^g(\d+)\.(\w+)$/.exec(key);
    if (m === null) continue;
    const idx = Number(m[1]);
    if (idx > 99) continue;
    let s = byIndex.get(idx);
    if (s === undefined) {
      s = defaultPanel();
      byIndex.set(idx, s);
    }
    switch (m[2]) {
      case 'expr':
        s.expr = value;
        break;
      case 'tab':
        s.tab = value === '0' || value === 'graph' ? 'graph' : 'table';
        break;
      case 'range_input': {
        const ms = parseDuration(value);
        if (ms > 0) s.rangeMs = ms;
        break;
      }
      case 'end_input':
      case 'moment_input': {
        const ms = value === '' ? Number.NaN : parseDateTime(value);
        s.endMs = Number.isFinite(ms) ? ms : null;
        break;
      }
      case 'step_input': {
        const n = Number(value);
        s.stepSec = value !== '' && n > 0 ? n : null;
        break;
      }
      case 'stacked':
        s.stacked = value === '1' || value === 'true';
        break;
    }
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/** URL parameters for `panels` (Prometheus 2.x format). */
export function panelsToParams(panels: readonly PanelState[]): URLSearchParams {
  const p = new URLSearchParams();
  panels.forEach((s, i) => {
    p.set(`g${i}.expr`, s.expr);
    p.set(`g${i}.tab`, s.tab === 'graph' ? '0' : '1');
    p.set(`g${i}.stacked`, s.stacked ? '1' : '0');
    p.set(`g${i}.range_input`, formatDuration(s.rangeMs));
    if (s.endMs !== null) p.set(`g${i}.end_input`, formatDateTime(s.endMs));
    if (s.stepSec !== null) p.set(`g${i}.step_input`, String(s.stepSec));
  });
  return p;
}
