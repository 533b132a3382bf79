/**
 * PromQL parse errors, formatted like Prometheus's `ParseErr`:
 * `<line>:<col>: parse error: <detail>`, e.g.
 * `1:14: parse error: unexpected ")" in aggregation`.
 */
import type { PosRange } from './ast.js';

/** A syntax or type error in a PromQL expression. `code` is stable for branching. */
export class ParseError extends Error {
  readonly code = 'bad_data';
  /** Where in the query the problem is (character offsets). */
  readonly posRange: PosRange;
  /** The message without the position prefix (`unexpected end of input`). */
  readonly detail: string;
  /** The query that failed to parse. */
  readonly query: string;

  constructor(query: string, posRange: PosRange, detail: string) {
    super(`${positionOf(query, posRange.start)}: parse error: ${detail}`);
    this.name = 'ParseError';
    this.posRange = posRange;
    this.detail = detail;
    this.query = query;
  }
}

/** `line:col` (both 1-based) of offset `pos` in `query`, like Prometheus's `StartPosInput`. */
export function positionOf(query: string, pos: number): string {
  if (query === '') return 'unknown position';
  if (pos < 0 || pos > query.length) return 'invalid position';
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return `${line}:${pos - lastBreak}`;
}
