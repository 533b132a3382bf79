import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageOf, humanDuration } from './age.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration prints kubectl ages at every unit boundary', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 30 * M, '5h30m'],
    [8 * H + 10 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [2 * 365 * D + 5 * D, '2y5d'],
    [3 * 365 * D, '3y'],
    [9 * 365 * D + 100 * D, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('ageOf measures from an RFC 3339 timestamp and tolerates missing ones', () => {
  const t = '2026-01-01T00:00:00Z';
  assert.equal(ageOf(t, Date.parse(t) + 90 * S), '90s');
  assert.equal(ageOf(undefined, 0), '<unknown>');
  assert.equal(ageOf('yesterday', 0), '<unknown>');
});
