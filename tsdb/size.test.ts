import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSize, parseSize, SizeError } from './size.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

test('parseSize reads both KB and KiB spellings as powers of 1024', () => {
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('100B'), 100);
  assert.equal(parseSize('1KB'), KiB);
  assert.equal(parseSize('1KiB'), KiB);
  assert.equal(parseSize('512MB'), 512 * MiB);
  assert.equal(parseSize('512MiB'), 512 * MiB);
  assert.equal(parseSize('2GB'), 2 * GiB);
  assert.equal(parseSize('1TiB'), 1024 * GiB);
});

test('parseSize sums terms and accepts fractions', () => {
  assert.equal(parseSize('1GB512MB'), GiB + 512 * MiB);
  assert.equal(parseSize('1.5KB'), 1536);
  assert.equal(parseSize('.5MB'), MiB / 2);
});

test('parseSize rejects unit-less numbers, SI kB and junk', () => {
  for (const bad of ['100', '1kB', '1 MB', 'MB', '', '1XB', '1..5MB', '.MB']) {
    assert.throws(() => parseSize(bad), SizeError, `expected ${JSON.stringify(bad)} to be rejected`);
  }
  assert.throws(() => parseSize('1kB'), /unknown unit "kB"/);
});

test('formatSize prints binary units from the largest part', () => {
  assert.equal(formatSize(0), '0B');
  assert.equal(formatSize(100), '100B');
  assert.equal(formatSize(512 * MiB), '512MiB');
  assert.equal(formatSize(GiB + 512 * MiB), '1GiB512MiB');
  assert.equal(formatSize(KiB + 1), '1KiB1B');
  for (const v of [1, 1023, KiB, 10 * MiB, GiB + 7]) assert.equal(parseSize(formatSize(v)), v);
});
