/**
 * `label_replace` and `label_join`: functions that rewrite series labels rather
 * than values. Regexes are RE2 (re2js), fully anchored, with Go's `Expand`
 * template rules (`$1`, `${1}`, `$name`, `$$`).
 */
import { RE2JS } from 're2js';
import { LabelsBuilder, METRIC_NAME, isValidLabelName } from '../tsdb/labels.js';
import { executionError } from './eval_errors.js';
import { EvalSeries, mergeSameLabelsets } from './eval_series.js';

/** `label_replace(v, dst, replacement, src, regex)` over evaluated series. */
export function labelReplace(input: EvalSeries[], dst: string, repl: string, src: string, regex: string): EvalSeries[] {
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?s:${regex})$`);
  } catch {
    throw executionError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!isValidLabelName(dst)) throw executionError(`invalid destination label name in label_replace(): ${dst}`);
  const names = re.namedGroups();
  const lb = new LabelsBuilder();
  const out: EvalSeries[] = [];
  for (const s of input) {
    const srcVal = s.labels.get(src);
    const m = re.matcher(srcVal);
    if (!m.matches()) {
      out.push(s);
      continue;
    }
    const res = expandTemplate(repl, (g) => {
      const idx = typeof g === 'number' ? g : names[g];
      if (idx === undefined || idx > m.groupCount()) return '';
      return m.group(idx) ?? '';
    });
    lb.reset(s.labels);
    lb.set(dst, res);
    out.push(EvalSeries.wrap(lb.labels(), dst === METRIC_NAME ? false : s.dropName, s.ts, s.vs, s.n));
  }
  return mergeSameLabelsets(out);
}

/** `label_join(v, dst, separator, src…)` over evaluated series. */
export function labelJoin(input: EvalSeries[], dst: string, sep: string, srcLabels: readonly string[]): EvalSeries[] {
  for (const src of srcLabels) {
    if (!isValidLabelName(src)) throw executionError(`invalid source label name in label_join(): ${src}`);
  }
  if (!isValidLabelName(dst)) throw executionError(`invalid destination label name in label_join(): ${dst}`);
  const lb = new LabelsBuilder();
  const out: EvalSeries[] = [];
  for (const s of input) {
    const joined = srcLabels.map((l) => s.labels.get(l)).join(sep);
    lb.reset(s.labels);
    lb.set(dst, joined);
    out.push(EvalSeries.wrap(lb.labels(), dst === METRIC_NAME ? false : s.dropName, s.ts, s.vs, s.n));
  }
  return mergeSameLabelsets(out);
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/** Go's `regexp.Expand` template expansion; `group` returns a capture by number or name. */
export function expandTemplate(template: string, group: (g: number | string) => string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name = '';
    let j = i;
    if (template[j] === '{') {
      j++;
      while (j < template.length && NAME_CHAR.test(template[j]!)) j++;
      if (template[j] !== '}' || j === i + 1) {
        out += '$';
        continue;
      }
      name = template.slice(i + 1, j);
      j++;
    } else {
      while (j < template.length && NAME_CHAR.test(template[j]!)) j++;
      if (j === i) {
        out += '$';
        continue;
      }
      name = template.slice(i, j);
    }
    i = j;
    if (/^[0-9]+$/.test(name)) {
      const num = Number.parseInt(name, 10);
      out += group(num);
    } else out += group(name);
  }
  return out + template.slice(i);
}
