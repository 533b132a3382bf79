import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../labels.js';
import { MatchType, Matcher } from '../matcher.js';
import { IndexReader } from './index_reader.js';
import { IndexWriter, collectSymbols, compareLabelsUtf8 } from './index_writer.js';
import { postingsForMatchers } from './postings_for_matchers.js';

test('postingsForMatchers selects exactly the series a brute-force label scan selects', () => {
  const sets: Labels[] = [];
  for (let i = 0; i < 60; i++) {
    const rec: Record<string, string> = { __name__: `m${i % 4}`, job: ['api', 'db', 'web'][i % 3]! };
    if (i % 5 !== 0) rec['env'] = i % 2 === 0 ? 'prod' : 'dev';
    rec['i'] = String(i);
    sets.push(Labels.from(rec));
  }
  sets.sort(compareLabelsUtf8);
  const w = new IndexWriter(collectSymbols(sets));
  const ids = sets.map((s) => w.addSeries(s, []));
  const r = new IndexReader(w.finish(), 'mem');
  const cases: Matcher[][] = [
    [],
    [new Matcher(MatchType.Equal, '__name__', 'm1')],
    [new Matcher(MatchType.Equal, 'env', '')],
    [new Matcher(MatchType.NotEqual, 'env', 'prod')],
    [new Matcher(MatchType.NotEqual, 'env', '')],
    [new Matcher(MatchType.Regexp, 'job', 'api|web')],
    [new Matcher(MatchType.Regexp, 'job', 'a.*')],
    [new Matcher(MatchType.Regexp, 'env', 'prod|')],
    [new Matcher(MatchType.Regexp, 'env', '.*')],
    [new Matcher(MatchType.NotRegexp, 'env', 'p.*')],
    [new Matcher(MatchType.NotRegexp, 'job', '.*')],
    [new Matcher(MatchType.Equal, '__name__', 'm2'), new Matcher(MatchType.NotEqual, 'job', 'db'), new Matcher(MatchType.Regexp, 'i', '1.*')],
    [new Matcher(MatchType.Equal, 'missing', 'x')],
    [new Matcher(MatchType.Equal, 'missing', '')],
  ];
  for (const ms of cases) {
    const want = ids.filter((_, k) => ms.every((m) => m.matches(sets[k]!.get(m.name))));
    assert.deepEqual([...postingsForMatchers(r, ms)], want, ms.map(String).join(','));
  }
});
