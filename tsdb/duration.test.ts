import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('parseDuration reads single units y w d h m s ms', () => {
  assert.equal(parseDuration('100ms'), 100);
  assert.equal(parseDuration('15s'), 15 * S);
  assert.equal(parseDuration('5m'), 5 * M);
  assert.equal(parseDuration('2h'), 2 * H);
  assert.equal(parseDuration('1d'), D);
  assert.equal(parseDuration('1w'), 7 * D);
  assert.equal(parseDuration('1y'), 365 * D);
});

test('parseDuration sums ordered compound terms', () => {
  assert.equal(parseDuration('1h30m'), 90 * M);
  assert.equal(parseDuration('1y2w3d4h5m6s7ms'), 365 * D + 14 * D + 3 * D + 4 * H + 5 * M + 6 * S + 7);
  assert.equal(parseDuration('1m0s'), M);
  assert.equal(parseDuration('90m'), 90 * M);
});

test('parseDuration accepts a bare 0 but no other unit-less number', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('0s'), 0);
  assert.throws(() => parseDuration('15'), DurationError);
  assert.throws(() => parseDuration('00'), DurationError);
});

test('parseDuration rejects units out of order, repeated units and unknown units', () => {
  for (const bad of ['1m1h', '30s1m', '1s1s', '1ms1s', '1d1y', '5 minutes', '5min', '1.5h', '-1m', '+1m', ' 1m', '1m ', 'm', '', '1M', '1H']) {
    assert.throws(() => parseDuration(bad), DurationError, `expected ${JSON.stringify(bad)} to be rejected`);
  }
});

test('parseDuration errors say which input and why', () => {
  assert.throws(() => parseDuration('5 minutes'), (e: unknown) => {
    assert.ok(e instanceof DurationError);
    assert.equal(e.code, 'bad_duration');
    assert.equal(e.input, '5 minutes');
    assert.match(e.message, /unknown unit " minutes"/);
    assert.match(e.message, /"5 minutes"/);
    return true;
  });
  assert.throws(() => parseDuration('1m1h'), /not a valid duration string: "1m1h"/);
  assert.throws(() => parseDuration(''), /empty duration string/);
});

test('parseDuration rejects durations beyond Go time.Duration range (~292y)', () => {
  assert.equal(parseDuration('292y'), 292 * 365 * D);
  assert.throws(() => parseDuration('293y'), /out of range/);
  assert.throws(() => parseDuration('99999999999999999999y'), /out of range/);
  assert.ok(parseDuration('292y') <= MAX_DURATION_MS);
});

test('formatDuration prints the canonical Prometheus form', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(100), '100ms');
  assert.equal(formatDuration(15 * S), '15s');
  assert.equal(formatDuration(90 * M), '1h30m');
  assert.equal(formatDuration(D), '1d');
  assert.equal(formatDuration(7 * D), '1w');
  assert.equal(formatDuration(365 * D), '1y');
  // Weeks and years only when exact: 90 days reads better than 12w6d.
  assert.equal(formatDuration(90 * D), '90d');
  assert.equal(formatDuration(8 * D), '8d');
  assert.equal(formatDuration(14 * D), '2w');
  assert.equal(formatDuration(D + H + M + S + 1), '1d1h1m1s1ms');
  assert.equal(formatDuration(-5 * M), '-5m');
});

test('formatDuration and parseDuration round-trip', () => {
  const values = [0, 1, 999, S, 61 * S, H + 1, 3 * D + 7, 30 * D, 365 * D, 2 * 365 * D, 400 * D + 5 * S];
  for (const v of values) assert.equal(parseDuration(formatDuration(v)), v, `round trip of ${v}`);
  for (const s of ['1h30m', '90d', '2w', '1y', '100ms', '1d12h']) assert.equal(formatDuration(parseDuration(s)), s);
});
