import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabelSelectorError, parseSelector, selectorFromMap, selectorFromObject } from './label_selector.js';

test('label selector parses every operator of the string form', () => {
  const s = parseSelector('a=b, c!=d,e in (y, x),!f,g, h notin (z), i==j, n>3, m<10');
  assert.deepEqual(
    s.requirements.map((r) => [r.key, r.operator, [...r.values]]),
    [
      ['a', '=', ['b']],
      ['c', '!=', ['d']],
      ['e', 'in', ['x', 'y']],
      ['f', 'DoesNotExist', []],
      ['g', 'Exists', []],
      ['h', 'notin', ['z']],
      ['i', '=', ['j']],
      ['n', 'gt', ['3']],
      ['m', 'lt', ['10']],
    ],
  );
});

test('label selector matching follows Kubernetes semantics for absent labels', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a=b', {}, false],
    ['a!=b', {}, true],
    ['a!=b', { a: 'b' }, false],
    ['a in (x,y)', { a: 'y' }, true],
    ['a in (x,y)', {}, false],
    ['a notin (x,y)', {}, true],
    ['a notin (x,y)', { a: 'x' }, false],
    ['a', { a: '' }, true],
    ['!a', { a: '' }, false],
    ['!a', { b: '1' }, true],
    ['a=', { a: '' }, true],
    ['n>3', { n: '4' }, true],
    ['n>3', { n: '3' }, false],
    ['n>3', { n: 'x' }, false],
    ['n<3', {}, false],
    ['app=web,tier in (fe),!canary', { app: 'web', tier: 'fe' }, true],
    ['app=web,tier in (fe),!canary', { app: 'web', tier: 'fe', canary: 'true' }, false],
    ['', { anything: 'x' }, true],
  ];
  for (const [sel, labels, want] of cases) assert.equal(parseSelector(sel).matches(labels), want, `${sel} on ${JSON.stringify(labels)}`);
});

test('label selector toString parses back to the same requirements', () => {
  for (const input of ['a=b,c!=d,e in (x,y),!f,g', 'k8s.io/app==web', 'a notin (1,2),n>5,m<-1', '']) {
    const s = parseSelector(input);
    assert.deepEqual(parseSelector(s.toString()).requirements, s.requirements, input);
  }
});

test('label selector errors say where and what was expected', () => {
  const cases: [string, number, RegExp][] = [
    ['a in x', 6, /expected "\(" after "in"/],
    ['a in (x', 8, /expected "," or "\)"/],
    ['a=b c', 5, /expected "," between requirements/],
    ['a foo (b)', 3, /expected one of "=", "==", "!=", "in", "notin"/],
    ['!', 2, /expected a label key after "!"/],
    ['a=b,,c', 5, /expected a label key, found ","/],
    ['-a=b', 1, /invalid label key "-a"/],
    ['a=-b', 3, /invalid label value "-b"/],
    ['n>x', 3, /expected an integer after ">"/],
  ];
  for (const [input, col, re] of cases) {
    assert.throws(
      () => parseSelector(input),
      (e: unknown) => e instanceof LabelSelectorError && e.column === col && re.test(e.message),
      input,
    );
  }
  assert.throws(() => parseSelector('a'.repeat(5000)), /longer than 4096 characters/);
});

test('label selector object form: matchLabels and matchExpressions are ANDed', () => {
  const s = selectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
      { key: 'team', operator: 'Exists' },
    ],
  });
  assert.equal(s.matches({ app: 'web', tier: 'be', team: 'x' }), true);
  assert.equal(s.matches({ app: 'web', tier: 'be', team: 'x', zone: 'z1' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'be' }), false);
  assert.equal(s.matches({ app: 'api', tier: 'be', team: 'x' }), false);
  assert.equal(s.toString(), 'app=web,!canary,team,tier in (be,fe),zone notin (z1)');
  assert.equal(selectorFromMap({}).matches({ a: 'b' }), true);
  assert.equal(selectorFromMap({ a: 'b' }).matches({}), false);
});
