import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { expandGlob, GlobPatternError, globElementRegExp, hasGlobMeta } from './file_glob.js';

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-glob-'));
  for (const f of ['b.yml', 'a.yml', '.hidden.yml', 'a.yaml', 'x1.json', 'x2.json', 'xa.json', 'star*.yml']) writeFileSync(join(dir, f), '');
  mkdirSync(join(dir, 'sub.yml'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('* matches any run of characters in the last element, leading dots included, sorted', async () => {
  assert.deepEqual(
    await expandGlob(join(dir, '*.yml')),
    ['.hidden.yml', 'a.yml', 'b.yml', 'star*.yml', 'sub.yml'].map((f) => join(dir, f)),
  );
});

test('? and character classes', async () => {
  assert.deepEqual(await expandGlob(join(dir, 'x?.json')), ['x1.json', 'x2.json', 'xa.json'].map((f) => join(dir, f)));
  assert.deepEqual(await expandGlob(join(dir, 'x[0-9].json')), ['x1.json', 'x2.json'].map((f) => join(dir, f)));
  assert.deepEqual(await expandGlob(join(dir, 'x[^0-9].json')), [join(dir, 'xa.json')]);
  assert.deepEqual(await expandGlob(join(dir, 'star\\*.yml')), [join(dir, 'star*.yml')]);
});

test('a pattern without metacharacters yields itself only if it exists', async () => {
  assert.deepEqual(await expandGlob(join(dir, 'a.yml')), [join(dir, 'a.yml')]);
  assert.deepEqual(await expandGlob(join(dir, 'nope.yml')), []);
  assert.equal(hasGlobMeta('a/b.yml'), false);
  assert.equal(hasGlobMeta('a/*.yml'), true);
});

test('a missing directory matches nothing; bad patterns are errors', async () => {
  assert.deepEqual(await expandGlob(join(dir, 'missing', '*.yml')), []);
  assert.throws(() => globElementRegExp('[abc'), GlobPatternError);
  assert.throws(() => globElementRegExp('abc\\'), GlobPatternError);
  assert.equal(globElementRegExp('a.b').test('axb'), false);
});
