/**
 * File globs as Prometheus expands `rule_files` and `file_sd_configs` entries (Go's
 * `filepath.Glob`): `*` matches any run of characters other than `/` (leading dots
 * included), `?` one such character, `[abc]`/`[a-z]`/`[^a]` a class, `\` escapes.
 *
 * Prometheus's configuration only allows `*` in the last path element, so wildcards are
 * honoured there; a directory part is taken literally. Results are sorted by name.
 */
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A malformed pattern (an unclosed `[`, a trailing `\`). */
export class GlobPatternError extends Error {
  readonly code = 'bad_pattern';
  constructor(pattern: string, reason: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'GlobPatternError';
  }
}

/** Whether `s` contains glob metacharacters. */
export function hasGlobMeta(s: string): boolean {
  return /[*?[\\]/.test(s);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Compiles one path element pattern to an anchored regular expression. */
export function globElementRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw new GlobPatternError(pattern, 'trailing backslash');
      re += escapeRe(next);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new GlobPatternError(pattern, 'unclosed [');
      let body = pattern.slice(i + 1, end);
      let neg = false;
      if (body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      const cls = body.replace(/\\(.)/g, '$1').replace(/[\]\\^]/g, '\\$&');
      re += `[${neg ? '^' : ''}${cls}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, 's');
}

/**
 * The existing paths matching `pattern`, sorted. A pattern without metacharacters
 * yields itself if it exists. Unreadable or missing directories yield `[]`, as in Go.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!hasGlobMeta(pattern)) {
    try {
      await lstat(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const dir = dirname(pattern);
  const re = globElementRegExp(basename(pattern));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}
