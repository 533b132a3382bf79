import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_TIME_MS, MIN_TIME_MS, Params, parseDurationParam, parseLimit, parseTime, parseTimeParam } from './http_params.js';

describe('parseTime', () => {
  test('unix seconds with decimals, rounded to milliseconds like Go', () => {
    assert.equal(parseTime('1700000000'), 1_700_000_000_000);
    assert.equal(parseTime('1.5'), 1500);
    assert.equal(parseTime('1.0004'), 1000);
    assert.equal(parseTime('-1.5'), -1500);
    assert.equal(parseTime('-0.0005'), -1);
    assert.equal(parseTime('1e3'), 1_000_000);
  });
  test('RFC3339 with fractions and offsets', () => {
    assert.equal(parseTime('2015-07-01T20:10:51.781Z'), 1_435_781_451_781);
    assert.equal(parseTime('2015-07-01T22:10:51+02:00'), 1_435_781_451_000);
  });
  test("Prometheus's open-ended bounds and errors", () => {
    assert.equal(parseTime('-292273086-05-16T16:47:06Z'), MIN_TIME_MS);
    assert.equal(parseTime('292277025-08-18T07:12:54.999999999Z'), MAX_TIME_MS);
    assert.throws(() => parseTime('now'), /^Error: cannot parse "now" to a valid timestamp$/);
    assert.throws(() => parseTime(''), /cannot parse "" to a valid timestamp/);
  });
  test('parseTimeParam uses the default for a missing value and names the parameter', () => {
    const p = new Params(new URLSearchParams('time=abc&start=5'), new URLSearchParams('start=7'));
    assert.equal(parseTimeParam(p, 'end', 42), 42);
    assert.equal(parseTimeParam(p, 'start', 0), 7000, 'the form body wins over the URL');
    assert.throws(() => parseTimeParam(p, 'time', 0), /invalid time value for 'time': cannot parse "abc" to a valid timestamp/);
  });
});

describe('parseDurationParam and parseLimit', () => {
  test('float seconds or Prometheus durations', () => {
    assert.equal(parseDurationParam('15s'), 15_000);
    assert.equal(parseDurationParam('1h30m'), 5_400_000);
    assert.equal(parseDurationParam('15'), 15_000);
    assert.equal(parseDurationParam('0.5'), 500);
    assert.throws(() => parseDurationParam('fast'), /cannot parse "fast" to a valid duration/);
    assert.throws(() => parseDurationParam('1e300'), /overflows int64/);
  });
  test('limit is a non-negative integer, empty means none', () => {
    assert.equal(parseLimit(''), 0);
    assert.equal(parseLimit('10'), 10);
    assert.throws(() => parseLimit('-1'), /limit must be non-negative/);
    assert.throws(() => parseLimit('ten'), /invalid syntax/);
  });
});
