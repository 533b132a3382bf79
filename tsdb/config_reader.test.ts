import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc, ConfigError, ConfigWarning, type MapReader, validLabelName } from './config_reader.js';

function root(text: string): MapReader {
  return ConfigDoc.parse(text, 'p.yml').root();
}

/** Asserts that `fn` throws a ConfigError with `code` whose message starts with `prefix`. */
function throwsAt(fn: () => unknown, code: string, prefix: string): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.startsWith(prefix), `message ${JSON.stringify(caught.message)} should start with ${JSON.stringify(prefix)}`);
  return caught;
}

test('ConfigError formats FILE:LINE:COL: path: detail, and the inline form', () => {
  const loc = { file: 'prometheus.yml', line: 12, column: 5, fieldPath: 'scrape_configs[1].scrape_timeout' };
  const e = new ConfigError('invalid', loc, '(20s) is longer than scrape_interval (15s)', true);
  assert.equal(e.message, 'prometheus.yml:12:5: scrape_configs[1].scrape_timeout (20s) is longer than scrape_interval (15s)');
  const f = new ConfigError('bad_value', loc, 'expected a duration, received "x"');
  assert.equal(f.message, 'prometheus.yml:12:5: scrape_configs[1].scrape_timeout: expected a duration, received "x"');
  assert.equal(f.line, 12);
  assert.equal(f.column, 5);
  assert.equal(f.detail, 'expected a duration, received "x"');
  const g = new ConfigError('read_failed', { file: 'x.yml', line: 0, column: 0, fieldPath: '' }, 'cannot read');
  assert.equal(g.message, 'x.yml: cannot read');
});

test('scalars convert as Go yaml.v2 does: verbatim strings, YAML 1.1 booleans, null as unset', () => {
  const r = root('a: 1.0\nb: yes\nc: off\nd:\ne: ~\nf: "quoted"\ng: 0x1F\nh: 010\n');
  assert.equal(r.str('a'), '1.0');
  assert.equal(r.bool('b', false), true);
  assert.equal(r.bool('c', true), false);
  assert.equal(r.str('d', 'default'), 'default');
  assert.equal(r.has('d'), false);
  assert.equal(r.bool('e', true), true);
  assert.equal(r.str('f'), 'quoted');
  assert.equal(r.str('g'), '0x1F');
  assert.equal(r.int('g', 0), 31);
  // YAML 1.1: a leading 0 is octal.
  assert.equal(r.int('h', 0), 8);
});

test('typed getters reject values of the wrong type at the value position', () => {
  const r = root('n: lots\nb: "true"\nl: [1, 2]\nm: {a: 1}\nf: 1.5\nneg: -3\n');
  throwsAt(() => r.int('n', 0), 'wrong_type', 'p.yml:1:4: n: expected an integer, received "lots"');
  throwsAt(() => r.bool('b', false), 'wrong_type', 'p.yml:2:4: b: expected a boolean');
  throwsAt(() => r.str('l'), 'wrong_type', 'p.yml:3:4: l: expected a string, received a list');
  throwsAt(() => r.duration('m', 0), 'wrong_type', 'p.yml:4:4: m: expected a duration');
  // Go's yaml.v2 truncates floats read into integers; so does the reader.
  assert.equal(r.int('f', 0), 1);
  throwsAt(() => r.uint('neg', 0), 'bad_value', 'p.yml:6:6: neg: expected an integer at least 0, received -3');
  throwsAt(() => r.strList('m'), 'wrong_type', 'p.yml:4:4: m: expected a list of strings, received a mapping');
});

test('durations and sizes are parsed with the bad input quoted in the error', () => {
  const r = root('ok: 1h30m\nbad: 5 minutes\nsize: 512MB\nbadsize: 10 megs\n');
  assert.equal(r.duration('ok', 0), 90 * 60_000);
  assert.equal(r.duration('missing', 7), 7);
  throwsAt(() => r.duration('bad', 0), 'bad_value', 'p.yml:2:6: bad: expected a duration such as 15s or 1m30s, received "5 minutes"');
  assert.equal(r.size('size', 0), 512 * 1024 * 1024);
  throwsAt(() => r.size('badsize', 0), 'bad_value', 'p.yml:4:10: badsize: expected a size such as 512MB');
});

test('fields() rejects unknown fields at the key, suggests near misses, and warns about unimplemented ones', () => {
  const doc = ConfigDoc.parse('top:\n  job_name: x\n  scrape_intervall: 1m\n', 'p.yml');
  const top = doc.root().map('top')!;
  throwsAt(() => top.fields(['job_name', 'scrape_interval']), 'unknown_field', 'p.yml:3:3: top.scrape_intervall: unknown field "scrape_intervall" (did you mean "scrape_interval"?)');
  const e = throwsAt(() => top.fields(['job_name', 'other']), 'unknown_field', 'p.yml:3:3:');
  assert.match(e.message, /expected one of job_name, other/);

  const doc2 = ConfigDoc.parse('a: 1\noauth2:\n  client_id: x\n', 'p.yml');
  doc2.root().fields(['a'], ['oauth2']);
  assert.equal(doc2.warnings.length, 1);
  const w = doc2.warnings[0]!;
  assert.ok(w instanceof ConfigWarning);
  assert.equal(w.code, 'unimplemented');
  assert.equal(w.line, 2);
  assert.equal(w.column, 1);
  assert.equal(w.fieldPath, 'oauth2');
  assert.match(w.message, /^p\.yml:2:1: oauth2: is not implemented/);
});

test('YAML syntax errors and duplicate keys are located', () => {
  throwsAt(() => ConfigDoc.parse('a: [1, 2\nb: 3\n', 'p.yml'), 'yaml_syntax', 'p.yml:');
  const e = throwsAt(() => ConfigDoc.parse('a: 1\na: 2\n', 'p.yml'), 'yaml_syntax', 'p.yml:2:1: invalid YAML:');
  assert.match(e.message, /unique/);
  throwsAt(() => ConfigDoc.parse('- 1\n- 2\n', 'p.yml').root(), 'wrong_type', 'p.yml:1:1: expected a mapping');
});

test('an empty document is an empty mapping', () => {
  const r = root('');
  assert.deepEqual(r.keys(), []);
  assert.equal(r.str('x', 'd'), 'd');
  assert.deepEqual(root('# only a comment\n').keys(), []);
});

test('aliases and merge keys are followed; explicit keys win over merged ones', () => {
  const r = root('base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\nlist: &l [a, b]\nagain: *l\n');
  const use = r.map('use')!;
  assert.equal(use.int('x', 0), 1);
  assert.equal(use.int('y', 0), 3);
  assert.deepEqual(r.strList('again'), ['a', 'b']);
});

test('alias expansion is bounded', () => {
  // Each level refers 10 times to the previous one: 10^6 leaf references in total.
  const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 6; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  const doc = ConfigDoc.parse(`${lines.join('\n')}\n`, 'p.yml');
  const r = doc.root();
  // A reader that walks nested lists through aliases must stop with an error, not hang.
  const walk = (m: MapReader, key: string): void => {
    for (const it of m.items(key)) void it;
  };
  assert.throws(() => {
    for (let k = 0; k < 200_000; k++) walk(r, 'l6');
  }, (e: unknown) => e instanceof ConfigError && e.code === 'too_large');
});

test('lists, maps and label names', () => {
  const r = root('t: [a, b]\nm:\n  X-A: "1"\n  __proto__: p\nlabels:\n  ok: v\n  "k8s.name": w\nbad:\n  "": v\nnames: [a, ""]\n');
  assert.deepEqual(r.strList('t'), ['a', 'b']);
  const m = r.strMap('m');
  assert.equal(m['X-A'], '1');
  // A "__proto__" key is data, not a prototype change.
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(m, '__proto__')?.value, 'p');
  assert.deepEqual(r.labelMap('labels', 'utf8'), { ok: 'v', 'k8s.name': 'w' });
  throwsAt(() => r.labelMap('labels', 'legacy'), 'bad_value', 'p.yml:7:3: labels["k8s.name"]: expected a valid label name, received "k8s.name"');
  throwsAt(() => r.labelMap('bad', 'utf8'), 'bad_value', 'p.yml:9:3: bad[""]: expected a valid label name');
  throwsAt(() => r.labelNameList('names', 'utf8'), 'bad_value', 'p.yml:10:12: names[1]: expected a valid label name, received ""');
  assert.equal(validLabelName('a.b', 'utf8'), true);
  assert.equal(validLabelName('a.b', 'legacy'), false);
});

test('mapList paths index items and reject null items', () => {
  const r = root('jobs:\n  - a: 1\n  - a: 2\nnulls:\n  -\n');
  const items = r.mapList('jobs', 'job');
  assert.equal(items.length, 2);
  assert.equal(items[1]!.path, 'jobs[1]');
  assert.equal(items[1]!.keyLoc('a').line, 3);
  throwsAt(() => r.mapList('nulls', 'job'), 'missing_field', 'p.yml:');
  throwsAt(() => root('jobs: [1]\n').mapList('jobs', 'job'), 'wrong_type', 'p.yml:1:8: jobs[0]: expected a job (a mapping), received "1"');
});

test('a merge of the mapping it is in is a located error, not a stack overflow (found by the config fuzzer)', () => {
  for (const text of ['&a \n<<: *a\n', 'x: &m\n  y: 1\n  <<: *m\n']) {
    assert.throws(
      () => {
        const r = ConfigDoc.parse(text, 'p.yml').root();
        // The nested cases surface when their mapping is read.
        r.map('x');
      },
      (e: unknown) => e instanceof ConfigError && /recursive alias/.test(e.message),
      JSON.stringify(text),
    );
  }
});
