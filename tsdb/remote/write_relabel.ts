/**
 * Applies `write_relabel_configs` to a series' labels, with Prometheus's semantics
 * (model/relabel/relabel.go). Private to remote write until scrape/relabel.ts (being
 * written on another branch) lands; then this file should give way to it.
 *
 * Returns the relabeled set, or null when the series is dropped (a keep/drop rule, or
 * an empty result).
 */
import { createHash } from 'node:crypto';
import type { Labels, LabelsBuilder } from '../labels.js';
import type { RelabelConfig } from '../../scrape/relabel_config.js';

/** Expands `$1`, `${1}`, `$name`, `${name}` and `$$` in `template` like Go's Regexp.Expand. */
export function expandTemplate(template: string, groups: (string | undefined)[], named: Record<string, string | undefined>): string {
  if (!template.includes('$')) return template;
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (next === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, end);
      i = end;
    } else {
      // Go takes the longest run of letters, digits and underscores: "$1x" names group "1x".
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m === null) {
        out += c;
        continue;
      }
      name = m[0];
      i += name.length;
    }
    if (/^\d+$/.test(name)) out += groups[Number(name)] ?? '';
    else out += named[name] ?? '';
  }
  return out;
}

function hashMod(value: string, modulus: number): number {
  const sum = createHash('md5').update(value).digest();
  return Number(sum.readBigUInt64BE(8) % BigInt(modulus));
}

function sourceValue(b: LabelsBuilder, c: RelabelConfig): string {
  let v = '';
  for (let i = 0; i < c.sourceLabels.length; i++) {
    if (i > 0) v += c.separator;
    v += b.get(c.sourceLabels[i]!);
  }
  return v;
}

/** One rule applied to the builder; false means drop the series. */
function applyRule(b: LabelsBuilder, c: RelabelConfig): boolean {
  const val = sourceValue(b, c);
  switch (c.action) {
    case 'drop':
      return !c.regex.matches(val);
    case 'keep':
      return c.regex.matches(val);
    case 'dropequal':
      return b.get(c.targetLabel) !== val;
    case 'keepequal':
      return b.get(c.targetLabel) === val;
    case 'replace': {
      const m = c.regex.exec(val);
      if (m === null) return true;
      const target = expandTemplate(c.targetLabel, m.groups, m.named);
      if (target === '') return true;
      const res = expandTemplate(c.replacement, m.groups, m.named);
      if (res === '') b.del(target);
      else b.set(target, res);
      return true;
    }
    case 'lowercase':
      b.set(c.targetLabel, val.toLowerCase());
      return true;
    case 'uppercase':
      b.set(c.targetLabel, val.toUpperCase());
      return true;
    case 'hashmod':
      b.set(c.targetLabel, String(hashMod(val, c.modulus)));
      return true;
    case 'labelmap': {
      const current = b.labels();
      for (let i = 0; i < current.length; i++) {
        const m = c.regex.exec(current.name(i));
        if (m !== null) b.set(expandTemplate(c.replacement, m.groups, m.named), current.value(i));
      }
      return true;
    }
    case 'labeldrop': {
      const current = b.labels();
      for (let i = 0; i < current.length; i++) if (c.regex.matches(current.name(i))) b.del(current.name(i));
      return true;
    }
    case 'labelkeep': {
      const current = b.labels();
      for (let i = 0; i < current.length; i++) if (!c.regex.matches(current.name(i))) b.del(current.name(i));
      return true;
    }
  }
}

/** Applies `configs` in order; null when the series is dropped. */
export function relabelSeries(labels: Labels, configs: readonly RelabelConfig[]): Labels | null {
  if (configs.length === 0) return labels;
  const b = labels.builder();
  for (const c of configs) {
    if (!applyRule(b, c)) return null;
  }
  const out = b.labels();
  return out.isEmpty() ? null : out;
}

