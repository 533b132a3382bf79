import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../tsdb/labels.js';
import { ScrapeCache } from './scrape_cache.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('scrape cache tells apart entries whose hashes collide, by their bytes', () => {
  const c = new ScrapeCache();
  const body = enc('a{x="1"} 1\nb{y="2"} 2\n');
  // Same (forced) hash for both series texts.
  const ea = c.add(body, 0, 8, 7, Labels.fromStrings('__name__', 'a', 'x', '1'));
  const eb = c.add(body, 11, 19, 7, null);
  assert.equal(c.get(body, 0, 8, 7), ea);
  assert.equal(c.get(body, 11, 19, 7), eb);
  assert.ok(eb.dropped);
  assert.equal(c.get(body, 0, 7, 7), undefined, 'a prefix is not a match');
  assert.equal(c.get(enc('a{x="2"}'), 0, 8, 7), undefined);
  assert.equal(c.size(), 2);
});

test('scrape cache evicts entries not seen in a successful scrape and tracks staleness per pass', () => {
  const c = new ScrapeCache();
  const body = enc('a 1\nb 2\n');
  c.beginIter();
  const a = c.add(body, 0, 1, 1, Labels.fromStrings('__name__', 'a'));
  const b = c.add(body, 4, 5, 1, Labels.fromStrings('__name__', 'b'));
  c.trackStaleness(a);
  c.trackStaleness(b);
  c.iterDone(true);
  // Next scrape sees only a.
  c.beginIter();
  assert.equal(c.get(body, 0, 1, 1), a);
  c.trackStaleness(a);
  const stale: string[] = [];
  c.forEachStale((l) => stale.push(l.metricName()));
  assert.deepEqual(stale, ['b']);
  c.iterDone(true);
  assert.equal(c.size(), 1);
  assert.equal(c.get(body, 4, 5, 1), undefined);
  assert.equal(c.get(body, 0, 1, 1), a);
  // A failed pass (no iterDone) followed by an empty pass marks everything of the last good scrape stale.
  c.beginIter();
  c.trackStaleness(a);
  c.beginIter();
  const stale2: string[] = [];
  c.forEachStale((l) => stale2.push(l.metricName()));
  assert.deepEqual(stale2, ['a']);
});
