/**
 * Kubernetes resource quantities: `500m`, `2`, `0.5`, `128Mi`, `1G`, `1e3`.
 * `parseQuantity` returns the value in base units (cores, bytes) as a number;
 * `formatCpu`/`formatMemory` print canonical short forms for messages and tables.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY_RE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/;

/** The expected form, for error messages. */
export const QUANTITY_FORMAT = "a number with an optional suffix (n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei), e.g. '500m' or '128Mi'";

/** Parses a quantity to base units; null when it is not a quantity (at most 64 characters). */
export function parseQuantity(s: string): number | null {
  if (s.length === 0 || s.length > 64) return null;
  const m = QUANTITY_RE.exec(s);
  if (m === null) return null;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  const mult = SUFFIX[m[3] ?? ''];
  if (mult === undefined || !Number.isFinite(base)) return null;
  return base * mult;
}

/** CPU cores as Kubernetes prints them: whole cores as `2`, else millicores `1500m`. */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes with the largest binary suffix that divides them exactly (`128Mi`), else plain bytes. */
export function formatMemory(bytes: number): string {
  const b = Math.round(bytes);
  for (const [suf, mult] of [
    ['Ei', 2 ** 60],
    ['Pi', 2 ** 50],
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (b !== 0 && b % mult === 0) return `${b / mult}${suf}`;
  }
  return String(b);
}
