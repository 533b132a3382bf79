import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FastRegexMatcher, MatchType, Matcher, RegexpError } from './matcher.js';

test('equality matchers compare whole values; absent labels are the empty string', () => {
  const eq = new Matcher(MatchType.Equal, 'job', 'api');
  assert.ok(eq.matches('api'));
  assert.ok(!eq.matches('api2'));
  const ne = new Matcher(MatchType.NotEqual, 'job', 'api');
  assert.ok(ne.matches(''));
  assert.ok(!ne.matches('api'));
  assert.ok(new Matcher(MatchType.Equal, 'job', '').matchesEmpty());
});

test('regex matchers are fully anchored', () => {
  const re = new Matcher(MatchType.Regexp, 'job', 'ap.');
  assert.ok(re.matches('api'));
  assert.ok(!re.matches('xapi'));
  assert.ok(!re.matches('apix'));
  const alt = new Matcher(MatchType.Regexp, 'job', 'a|b');
  assert.ok(alt.matches('a') && alt.matches('b'));
  assert.ok(!alt.matches('ab'), 'the anchor wraps the whole alternation');
  assert.ok(new Matcher(MatchType.NotRegexp, 'job', 'a.*').matches('ba'));
});

test('dot matches newline, as in Prometheus 3', () => {
  assert.ok(new Matcher(MatchType.Regexp, 'x', 'a.b').matches('a\nb'));
  assert.ok(new FastRegexMatcher('.*').matches('line1\nline2'));
});

test('fast paths agree with the regex engine', () => {
  const inputs = ['', 'a', 'abc', 'foo', 'foobar', 'bar', 'a\nb', 'x.y', 'b|c'];
  for (const pat of ['.*', '.+', 'foo|bar|', 'foo.*', 'abc', '', 'a|b|c', 'x\\.y', '(?i)foo', 'f[o]+', 'b\\|c']) {
    const fast = new FastRegexMatcher(pat);
    for (const s of inputs) {
      const slow = new RegExp(`^(?:${pat.replace('(?i)', '')})$`, pat.startsWith('(?i)') ? 'is' : 's').test(s);
      assert.equal(fast.matches(s), slow, `pattern ${JSON.stringify(pat)} on ${JSON.stringify(s)}`);
    }
  }
});

test('set matches exposes literal alternations for index lookups', () => {
  assert.deepEqual(new Matcher(MatchType.Regexp, 'a', 'x|y|z').setMatches(), ['x', 'y', 'z']);
  assert.equal(new Matcher(MatchType.Regexp, 'a', 'x.*').setMatches(), null);
  assert.equal(new Matcher(MatchType.Equal, 'a', 'x').setMatches(), null);
});

test('invalid regexes throw a typed error naming the pattern', () => {
  assert.throws(
    () => new Matcher(MatchType.Regexp, 'job', 'a(b'),
    (e: unknown) => e instanceof RegexpError && e.pattern === 'a(b' && /invalid regular expression "a\(b"/.test(e.message),
  );
  // RE2 has no backreferences or lookaheads; Prometheus rejects them too.
  assert.throws(() => new FastRegexMatcher('(a)\\1'), RegexpError);
  assert.throws(() => new FastRegexMatcher('a(?=b)'), RegexpError);
});

test('a catastrophic-backtracking pattern runs in linear time', () => {
  const m = new FastRegexMatcher('(a+)+$b');
  const input = 'a'.repeat(50_000);
  const start = process.hrtime.bigint();
  assert.equal(m.matches(input), false);
  // Generous bound: a backtracking engine would not finish at all.
  assert.ok(Number(process.hrtime.bigint() - start) / 1e9 < 5);
});

test('capture groups and named groups are returned for relabeling', () => {
  const m = new FastRegexMatcher('(?P<host>[^:]+):(\\d+)');
  const r = m.exec('example.org:9100');
  assert.ok(r);
  assert.deepEqual(r.groups, ['example.org:9100', 'example.org', '9100']);
  assert.equal(r.named.host, 'example.org');
  assert.equal(m.exec('nope'), null);
});

test('toString gives the PromQL form', () => {
  assert.equal(new Matcher(MatchType.NotRegexp, 'job', 'a"b').toString(), 'job!~"a\\"b"');
});
