/**
 * What Vigil reports about its own build: `vigil --version` and
 * `/api/v1/status/buildinfo`.
 *
 * `version` in buildinfo is a Prometheus version, not Vigil's: Grafana runs
 * `semver.gte(data.version, …)` on it to decide which Prometheus features the
 * server has (e.g. `match[]` on `/api/v1/labels` needs >= 2.24.0), and treats
 * the server as Mimir when `data.features` is non-empty. Vigil implements the
 * Prometheus 2.x HTTP API surface (no UTF-8 `U__` name escaping that 3.x
 * clients may assume), so it reports the last 2.x release, `2.55.0`, and puts
 * its own version in `vigilVersion`. There is no `features` key.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Prometheus version whose API Vigil answers like (see the file comment). */
export const PROMETHEUS_COMPAT_VERSION = '2.55.0';

/** The `data` of `/api/v1/status/buildinfo`. */
export interface BuildInfo {
  /** Prometheus-compatible semver (`PROMETHEUS_COMPAT_VERSION`). */
  readonly version: string;
  /** Git commit of the checkout the code runs from, or 'unknown'. */
  readonly revision: string;
  /** Git branch, or 'unknown' (e.g. detached or no .git). */
  readonly branch: string;
  /** `user@host` that built `dist/` ('unknown' when not recorded). */
  readonly buildUser: string;
  /** Build time of `dist/cmd/vigil.js` as Prometheus formats it (`20060102-15:04:05`), or 'unknown'. */
  readonly buildDate: string;
  /** The runtime, in the field Prometheus uses for its Go version (`node v20.20.2`). */
  readonly goVersion: string;
  /** Vigil's own version from package.json. */
  readonly vigilVersion: string;
}

let cached: BuildInfo | undefined;

/** The package root (the directory holding package.json), from this file's location in `dist/cmd/`. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Vigil's version from package.json ('unknown' if unreadable). */
export function vigilVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through: a broken install still starts
  }
  return 'unknown';
}

/** Collects build information once per process. */
export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const git = gitHead(root);
  cached = {
    version: PROMETHEUS_COMPAT_VERSION,
    revision: git.revision,
    branch: git.branch,
    buildUser: process.env.VIGIL_BUILD_USER ?? 'unknown',
    buildDate: buildDateOf(join(root, 'dist', 'cmd', 'vigil.js')),
    goVersion: `node ${process.version}`,
    vigilVersion: vigilVersion(),
  };
  return cached;
}

/** The text of `vigil --version` (Prometheus's layout). */
export function versionText(): string {
  const b = buildInfo();
  return [
    `vigil, version ${b.vigilVersion} (branch: ${b.branch}, revision: ${b.revision})`,
    `  prometheus api:   ${b.version}`,
    `  build date:       ${b.buildDate}`,
    `  node version:     ${process.version}`,
    `  platform:         ${process.platform}/${process.arch}`,
  ].join('\n');
}

function gitHead(root: string): { revision: string; branch: string } {
  const unknown = { revision: 'unknown', branch: 'unknown' };
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return { revision: head, branch: 'HEAD' };
    const m = /^ref: (refs\/heads\/(.+))$/.exec(head);
    if (m === null) return unknown;
    const ref = m[1]!;
    const branch = m[2]!;
    return { revision: readRef(root, ref), branch };
  } catch {
    return unknown;
  }
}

function readRef(root: string, ref: string): string {
  try {
    const v = readFileSync(join(root, '.git', ref), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(v)) return v;
  } catch {
    // not a loose ref: look in packed-refs
  }
  try {
    for (const line of readFileSync(join(root, '.git', 'packed-refs'), 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha !== undefined && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
  } catch {
    // no packed refs
  }
  return 'unknown';
}

function buildDateOf(file: string): string {
  try {
    const d = statSync(file).mtime;
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  } catch {
    return 'unknown';
  }
}
