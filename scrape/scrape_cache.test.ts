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

/** Runs one successful pass over the series of `text` (one `name value` per line), as the scrape loop does; returns how each was found. */
function pass(c: ScrapeCache, text: string): string[] {
  const body = enc(text);
  const how: string[] = [];
  c.beginIter();
  let at = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const start = at;
    const end = at + line.indexOf(' ');
    at += line.length + 1;
    let e = c.predict(body, start, end);
    if (e !== undefined) how.push('predicted');
    else {
      e = c.get(body, start, end, line.length % 3);
      if (e !== undefined) how.push('looked up');
      else {
        c.add(body, start, end, line.length % 3, Labels.fromStrings('__name__', line.slice(0, end - start)));
        how.push('added');
      }
    }
  }
  c.iterDone(true);
  return how;
}

test('scrape cache predicts series in the order of the last successful scrape and resynchronises after changes', () => {
  const c = new ScrapeCache();
  assert.deepEqual(pass(c, 'a 1\nb 1\nc 1\nd 1\n'), ['added', 'added', 'added', 'added']);
  assert.deepEqual(pass(c, 'a 2\nb 2\nc 2\nd 2\n'), ['predicted', 'predicted', 'predicted', 'predicted']);
  // A new series in the middle: the prediction waits for it, so the next one is still predicted.
  assert.deepEqual(pass(c, 'a 3\nx 3\nb 3\nc 3\nd 3\n'), ['predicted', 'added', 'predicted', 'predicted', 'predicted']);
  // The order of that scrape is the new prediction; after a missing series, the next is found
  // by hash and prediction resumes after it; the vanished series is evicted.
  assert.deepEqual(pass(c, 'a 4\nx 4\nc 4\nd 4\n'), ['predicted', 'predicted', 'looked up', 'predicted']);
  assert.equal(c.size(), 4);
  assert.deepEqual(pass(c, 'b 5\na 5\n'), ['added', 'predicted']);
  assert.equal(c.size(), 2);
  // A prediction is only ever a hint: bytes decide (same length, different text).
  assert.deepEqual(pass(c, 'c 6\nd 6\n'), ['added', 'added']);
  assert.equal(c.size(), 2);
});

test('scrape cache skips unchanged metadata lines and applies changed ones', () => {
  const c = new ScrapeCache();
  const line = (text: string, kind: number, name: string, apply: () => void): boolean => {
    const body = enc(`junk\n${text}`);
    if (c.metaUnchanged(body, 5, body.length, kind)) return true;
    apply();
    c.rememberMeta(body, 5, body.length, kind, name);
    return false;
  };
  const TYPE = 2;
  const HELP = 3;
  c.beginIter();
  assert.equal(line('m counter', TYPE, 'm', () => c.setType('m', 'counter')), false);
  assert.equal(line('m Some help.', HELP, 'm', () => c.setHelp('m', 'Some help.')), false);
  c.iterDone(true);
  c.beginIter();
  assert.equal(line('m counter', TYPE, 'm', () => assert.fail('unchanged TYPE decoded')), true);
  // Same bytes, other kind: not the same line.
  assert.equal(line('m counter', HELP, 'm', () => c.setHelp('m', 'counter')), false);
  c.iterDone(true);
  assert.deepEqual({ ...c.metadata().get('m')! }, { type: 'counter', help: 'counter', unit: '', lastIter: 1 });
  // A family whose lines all vanish is evicted with them, and comes back when exposed again.
  c.beginIter();
  c.iterDone(true);
  assert.equal(c.metadata().size, 0);
  c.beginIter();
  assert.equal(line('m counter', TYPE, 'm', () => c.setType('m', 'counter')), false);
  assert.equal(line('n Help of n.', HELP, 'n', () => c.setHelp('n', 'Help of n.')), false);
  assert.equal(line('n gauge', TYPE, 'n', () => c.setType('n', 'gauge')), false);
  c.iterDone(true);
  assert.equal(c.metadata().get('m')?.type, 'counter');
  // A changed line in the middle is applied; the lines around it are still recognised.
  c.beginIter();
  assert.equal(line('m counter', TYPE, 'm', () => assert.fail('unchanged TYPE decoded')), true);
  assert.equal(line('n New help.', HELP, 'n', () => c.setHelp('n', 'New help.')), false);
  assert.equal(line('n gauge', TYPE, 'n', () => assert.fail('unchanged TYPE decoded')), true);
  c.iterDone(true);
  assert.equal(c.metadata().get('n')?.help, 'New help.');
  assert.equal(c.metadata().get('n')?.type, 'gauge');
});
