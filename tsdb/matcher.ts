/**
 * Label matchers (`=`, `!=`, `=~`, `!~`) with Prometheus semantics.
 *
 * Regexes have RE2 syntax and semantics, are fully anchored and let `.` match a
 * newline (Prometheus 3 compiles `^(?s:RE)$`). They run on re2js, so a hostile
 * pattern from a query or a relabel config matches in time linear in the input.
 * Each matcher compiles its regex once, in the constructor, and recognises the
 * common shapes (`.*`, `.+`, `a|b|c`, `prefix.*`) that need no regex engine at all.
 */
import { RE2JS } from 're2js';

export enum MatchType {
  Equal = '=',
  NotEqual = '!=',
  Regexp = '=~',
  NotRegexp = '!~',
}

/** An error in a matcher's regex; `message` says which pattern and why. */
export class RegexpError extends Error {
  readonly code = 'bad_regexp';
  readonly pattern: string;
  constructor(pattern: string, reason: string) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'RegexpError';
    this.pattern = pattern;
  }
}

// Kinds of fast path for regex matchers.
const FAST_NONE = 0;
const FAST_ANY = 1; // .*
const FAST_NONEMPTY = 2; // .+
const FAST_SET = 3; // a|b|c (literals)
const FAST_PREFIX = 4; // literal.*

const META = /[\\.+*?()|[\]{}^$]/;

/**
 * A compiled, fully-anchored RE2 regular expression with Prometheus's (?s) semantics.
 * Reusable on its own (relabeling uses it for `regex:` and capture groups).
 */
export class FastRegexMatcher {
  readonly source: string;
  private readonly re: RE2JS | null;
  private readonly fast: number;
  private readonly set: ReadonlySet<string> | null;
  private readonly prefix: string;

  /** Compiles `source`; throws `RegexpError` if it is not a valid RE2 pattern. */
  constructor(source: string) {
    this.source = source;
    let re: RE2JS | null = null;
    try {
      re = RE2JS.compile(`^(?s:${source})$`);
    } catch (e) {
      throw new RegexpError(source, e instanceof Error ? e.message : String(e));
    }
    let fast = FAST_NONE;
    let set: Set<string> | null = null;
    let prefix = '';
    if (source === '.*') fast = FAST_ANY;
    else if (source === '.+') fast = FAST_NONEMPTY;
    else if (source.endsWith('.*') && !META.test(source.slice(0, -2))) {
      fast = FAST_PREFIX;
      prefix = source.slice(0, -2);
    } else if (!META.test(source.replaceAll('|', ''))) {
      fast = FAST_SET;
      set = new Set(source.split('|'));
    }
    this.re = fast === FAST_NONE ? re : null;
    this.fast = fast;
    this.set = set;
    this.prefix = prefix;
  }

  /** Whether the whole of `s` matches. */
  matches(s: string): boolean {
    switch (this.fast) {
      case FAST_ANY:
        return true;
      case FAST_NONEMPTY:
        return s.length > 0;
      case FAST_SET:
        return this.set!.has(s);
      case FAST_PREFIX:
        return s.startsWith(this.prefix);
      default:
        return this.re!.testExact(s);
    }
  }

  /** The literal values this regex matches, when it is a plain alternation of literals; else null. */
  setMatches(): readonly string[] | null {
    return this.set === null ? null : [...this.set];
  }

  /**
   * The capture groups of a full match of `s` (index 0 is the whole match), or null
   * when `s` does not match. Named groups are in `named`.
   */
  exec(s: string): { groups: (string | undefined)[]; named: Record<string, string | undefined> } | null {
    const re = this.re ?? RE2JS.compile(`^(?s:${this.source})$`);
    const m = re.matcher(s);
    if (!m.matches()) return null;
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= m.groupCount(); i++) {
      const g = m.group(i);
      groups.push(g ?? undefined);
    }
    const named: Record<string, string | undefined> = {};
    for (const [name, idx] of Object.entries(re.namedGroups())) named[name] = groups[idx];
    return { groups, named };
  }
}

/** A label matcher: `name op "value"`. Immutable; `matches` is allocation-free. */
export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  private readonly re: FastRegexMatcher | null;

  /** Throws `RegexpError` for an invalid regex. */
  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.re = type === MatchType.Regexp || type === MatchType.NotRegexp ? new FastRegexMatcher(value) : null;
  }

  /** Whether label value `v` (`''` when the label is absent) satisfies the matcher. */
  matches(v: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return v === this.value;
      case MatchType.NotEqual:
        return v !== this.value;
      case MatchType.Regexp:
        return this.re!.matches(v);
      case MatchType.NotRegexp:
        return !this.re!.matches(v);
    }
  }

  /** Whether the matcher also matches series that lack the label (it matches `''`). */
  matchesEmpty(): boolean {
    return this.matches('');
  }

  /** For `=~"a|b"`: the literal alternatives, letting an index look them up directly; else null. */
  setMatches(): readonly string[] | null {
    return this.type === MatchType.Regexp ? this.re!.setMatches() : null;
  }

  /** PromQL form, e.g. `job=~"api|web"`. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

/** Whether a label set (as a getter) satisfies all matchers. */
export function matchesAll(matchers: readonly Matcher[], get: (name: string) => string): boolean {
  for (const m of matchers) if (!m.matches(get(m.name))) return false;
  return true;
}
