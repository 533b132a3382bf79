/**
 * Byte sizes as Prometheus writes them in configuration (`body_size_limit: 512MB`,
 * `storage.tsdb.retention.size: 1GiB`): the syntax of Go's `units.ParseBase2Bytes`.
 *
 * A size is `0` or a sequence of `<number><unit>` terms (`1GB512MB`), numbers may have
 * a fraction (`1.5GB`), units are `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`, `TB`/`TiB`,
 * `PB`/`PiB`, `EB`/`EiB`, all powers of 1024. Lower-case `kB` is rejected, as there.
 */

/** A malformed size string. */
export class SizeError extends Error {
  readonly code = 'bad_size';
  readonly input: string;
  /** What is wrong, without repeating the input. */
  readonly reason: string;
  constructor(input: string, reason: string) {
    super(`${reason}: ${JSON.stringify(input)}`);
    this.name = 'SizeError';
    this.input = input;
    this.reason = reason;
  }
}

const UNITS: ReadonlyMap<string, number> = new Map([
  ['B', 1],
  ['KB', 1024],
  ['KiB', 1024],
  ['MB', 1024 ** 2],
  ['MiB', 1024 ** 2],
  ['GB', 1024 ** 3],
  ['GiB', 1024 ** 3],
  ['TB', 1024 ** 4],
  ['TiB', 1024 ** 4],
  ['PB', 1024 ** 5],
  ['PiB', 1024 ** 5],
  ['EB', 1024 ** 6],
  ['EiB', 1024 ** 6],
]);

const TERM = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** Parses a size into bytes (an integer, fractions truncated). Throws `SizeError`. */
export function parseSize(s: string): number {
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new SizeError(s, 'invalid size');
  let total = 0;
  while (rest !== '') {
    const m = TERM.exec(rest);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2] ?? '';
    if (m === null || (intPart === '' && fracPart === '')) throw new SizeError(s, 'invalid size');
    const unitName = m[3] ?? '';
    const unit = UNITS.get(unitName);
    if (unit === undefined) {
      throw new SizeError(s, `unknown unit ${JSON.stringify(unitName)} in size`);
    }
    total += Number(`${intPart || '0'}.${fracPart || '0'}`) * unit;
    rest = rest.slice(m[0].length);
  }
  if (neg) total = -total;
  if (!Number.isFinite(total) || Math.abs(total) > 2 ** 63) throw new SizeError(s, 'size out of range');
  return Math.trunc(total);
}

/**
 * Formats bytes the way Prometheus prints a `units.Base2Bytes`: the non-zero parts in
 * binary units from the largest, e.g. `512MiB`, `1GiB512MiB`, `100B`, `0B`.
 */
export function formatSize(bytes: number): string {
  let n = Math.trunc(bytes);
  if (n === 0) return '0B';
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  const names = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const parts: string[] = [];
  for (let i = 0; i < names.length && n > 0; i++) {
    const r = n % 1024;
    if (r !== 0) parts.unshift(`${r}${names[i]}`);
    n = Math.floor(n / 1024);
  }
  return sign + parts.join('');
}
