/**
 * Applying relabel rules (`relabel_configs`, `metric_relabel_configs`, and the alerting
 * and remote-write variants) with the semantics of Prometheus's `model/relabel`.
 *
 * Rules run in order on a builder; the first rule that drops ends processing. Regexes are
 * the shared, fully anchored RE2 `FastRegexMatcher` compiled when the configuration was
 * parsed. Replacement strings follow Go's `regexp.Expand`: `$1`, `${1}`, `$name`,
 * `${name}`, `$$` for a literal dollar; `$1x` names the group `1x` (which does not
 * exist, so it expands to nothing); a `$` that starts no valid reference is kept as is.
 */
import { createHash } from 'node:crypto';
import { isValidLabelName, type Labels, LabelsBuilder } from '../tsdb/labels.js';
import type { FastRegexMatcher } from '../tsdb/matcher.js';
import type { RelabelConfig } from './relabel_config.js';

/**
 * Applies `configs` to `labels` in order. Returns the resulting label set, or `null`
 * when a `keep`/`drop`/`keepequal`/`dropequal` rule dropped it. The input is not modified.
 * Labels set to the empty string are removed, as in Prometheus.
 */
export function relabel(labels: Labels, configs: readonly RelabelConfig[]): Labels | null {
  if (configs.length === 0) return labels;
  const lb = new LabelsBuilder(labels);
  for (const c of configs) {
    if (!applyRule(lb, c)) return null;
  }
  return lb.labels();
}

/** Applies one rule to `lb`; false means the label set is dropped. */
export function applyRule(lb: LabelsBuilder, c: RelabelConfig): boolean {
  let val = '';
  for (let i = 0; i < c.sourceLabels.length; i++) {
    if (i > 0) val += c.separator;
    val += lb.get(c.sourceLabels[i]!);
  }
  switch (c.action) {
    case 'drop':
      return !c.regex.matches(val);
    case 'keep':
      return c.regex.matches(val);
    case 'dropequal':
      return lb.get(c.targetLabel) !== val;
    case 'keepequal':
      return lb.get(c.targetLabel) === val;
    case 'replace': {
      const m = c.regex.exec(val);
      if (m === null) return true;
      const target = expandTemplate(c.targetLabel, m.groups, m.named);
      if (!isValidLabelName(target)) return true;
      const res = expandTemplate(c.replacement, m.groups, m.named);
      if (res === '') lb.del(target);
      else lb.set(target, res);
      return true;
    }
    case 'lowercase':
      lb.set(c.targetLabel, val.toLowerCase());
      return true;
    case 'uppercase':
      lb.set(c.targetLabel, val.toUpperCase());
      return true;
    case 'hashmod':
      lb.set(c.targetLabel, hashmod(val, c.modulus).toString());
      return true;
    case 'labelmap': {
      const current = lb.labels();
      for (let i = 0; i < current.length; i++) {
        const name = current.name(i);
        const m = c.regex.exec(name);
        if (m === null) continue;
        lb.set(expandTemplate(c.replacement, m.groups, m.named), current.value(i));
      }
      return true;
    }
    case 'labeldrop':
    case 'labelkeep': {
      const current = lb.labels();
      const drop = c.action === 'labeldrop';
      for (let i = 0; i < current.length; i++) {
        const name = current.name(i);
        if (matchesName(c.regex, name) === drop) lb.del(name);
      }
      return true;
    }
  }
}

function matchesName(re: FastRegexMatcher, name: string): boolean {
  return re.matches(name);
}

/**
 * `hashmod` exactly as Prometheus computes it: the MD5 digest of `value` (UTF-8), its
 * last 8 bytes read as a big-endian unsigned 64-bit integer (Go's `sum64` shifts the
 * first 8 bytes out), modulo `modulus`.
 */
export function hashmod(value: string, modulus: number | bigint): bigint {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return digest.readBigUInt64BE(8) % BigInt(modulus);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Expands a Go `regexp.Expand` template with the capture groups of a match
 * (`groups[0]` the whole match; `undefined` for groups that did not participate).
 */
export function expandTemplate(
  template: string,
  groups: readonly (string | undefined)[],
  named: Readonly<Record<string, string | undefined>>,
): string {
  let i = template.indexOf('$');
  if (i < 0) return template;
  let out = template.slice(0, i);
  while (i < template.length) {
    const ch = template[i]!;
    if (ch !== '$') {
      const next = template.indexOf('$', i);
      const end = next < 0 ? template.length : next;
      out += template.slice(i, end);
      i = end;
      continue;
    }
    // template[i] === '$'
    if (template[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    const ref = extractRef(template, i + 1);
    if (ref === null) {
      // Malformed reference: the dollar is literal text.
      out += '$';
      i++;
      continue;
    }
    i = ref.end;
    if (ref.num >= 0) {
      out += groups[ref.num] ?? '';
    } else if (Object.hasOwn(named, ref.name)) {
      out += named[ref.name] ?? '';
    }
  }
  return out;
}

/** Go's `extract`: a name after `$`, optionally in braces; `num` is its group number or -1. */
function extractRef(s: string, from: number): { name: string; num: number; end: number } | null {
  let i = from;
  const brace = s[i] === '{';
  if (brace) i++;
  const start = i;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const c = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(c)) break;
    i += c.length;
  }
  if (i === start) return null;
  const name = s.slice(start, i);
  if (brace) {
    if (s[i] !== '}') return null;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const d = name.charCodeAt(k) - 48;
    if (d < 0 || d > 9 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + d;
  }
  // Go disallows leading zeros in group numbers: `$01` is the (absent) group named "01".
  if (name.length > 1 && name[0] === '0') num = -1;
  return { name, num, end: i };
}
