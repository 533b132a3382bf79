/**
 * The text parser's `expect` hint: a series whose identity is exactly the expected key is not
 * lexed again, and everything the parser reports must be what a parse without hints reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEXT_CASES } from './_test_bodies.js';
import { Entry } from './parser.js';
import { TextParser } from './text_parser.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

interface Seen {
  start: number;
  end: number;
  labels: string;
  name: string;
  count: number;
  value: number;
  ts: number | null;
  line: number;
  hit: boolean;
}

/** Parses `body`, giving `hints[i]` as the hint before the i-th series; returns what was seen, or the error message. */
function run(body: Uint8Array, hints: (Uint8Array | null)[] = []): { seen: Seen[]; err: string | null } {
  const p = new TextParser(body);
  const seen: Seen[] = [];
  let k = 0;
  p.expect(hints[k] ?? null);
  try {
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      if (e !== Entry.Series) continue;
      seen.push({
        start: p.seriesStart(),
        end: p.seriesEnd(),
        labels: p.labels().toString(),
        name: p.metricName(),
        count: p.labelCount(),
        value: p.value(),
        ts: p.hasTimestamp() ? p.timestamp() : null,
        line: p.line(),
        hit: p.expectedHit(),
      });
      p.expect(hints[++k] ?? null);
    }
  } catch (e) {
    return { seen, err: e instanceof Error ? e.message : String(e) };
  }
  return { seen, err: null };
}

const keysOf = (body: Uint8Array, seen: Seen[]) => seen.map((s) => body.slice(s.start, s.end));
const strip = (seen: Seen[]) => seen.map(({ hit: _hit, ...rest }) => rest);

test('with the keys of a previous parse as hints, every series is a hit and reports the same', () => {
  const bodies = [
    ...TEXT_CASES.filter((c) => c.ok).map((c) => c.body),
    enc('# HELP a Help.\n# TYPE a counter\na{x="1",y="2"} 1 1000\na{x="2"} 2\nb 3\n{"c.d", e="f"} 4\n  {"g"} 5\n'),
  ];
  for (const body of bodies) {
    const plain = run(body);
    assert.equal(plain.err, null);
    const hinted = run(body, keysOf(body, plain.seen));
    assert.equal(hinted.err, null);
    assert.deepEqual(strip(hinted.seen), strip(plain.seen), Buffer.from(body).toString());
    // Keys holding a raw newline are never taken (line numbers stay exact); all others are hits.
    assert.deepEqual(
      hinted.seen.map((s) => s.hit),
      keysOf(body, plain.seen).map((k) => !k.includes(0x0a)),
    );
  }
});

test('a hint is only a hit when the lexer would end the identity exactly where the key ends', () => {
  const cases: [string, string, boolean][] = [
    ['foo', 'foo 1\n', true],
    ['foo', 'foo_bar 1\n', false],
    ['foo', 'foo:x 1\n', false],
    ['foo', 'foo {a="b"} 1\n', false],
    ['foo', 'foo{a="b"} 1\n', false],
    ['foo{a="b"}', 'foo{a="b"} 1\n', true],
    ['foo{a="b"}', 'foo{a="b",c="d"} 1\n', false],
    ['foo{a="b"}', 'foo{a="bc"} 1\n', false],
    ['foo{a="b"}', 'foo{a="b"}', false],
    ['', 'foo 1\n', false],
  ];
  for (const [key, body, hit] of cases) {
    const r = run(enc(body), [enc(key)]);
    const plain = run(enc(body));
    assert.equal(r.seen[0]?.hit ?? false, hit, `${key} / ${JSON.stringify(body)}`);
    assert.deepEqual(strip(r.seen), strip(plain.seen), `${key} / ${JSON.stringify(body)}`);
    assert.equal(r.err, plain.err);
  }
});

test('a hint waits for the next series line and is used up by it; errors after a hit are unchanged', () => {
  const body = enc('# HELP a x\n# comment\na 1\na 2\n');
  const r = run(body, [enc('a')]);
  assert.deepEqual(
    r.seen.map((s) => s.hit),
    [true, false],
  );
  for (const bad of ['a x\n', 'a 1 2 3\n', 'a\n', 'a 1 x\n']) {
    const plain = run(enc(bad));
    const hinted = run(enc(bad), [enc('a')]);
    assert.ok(plain.err !== null, bad);
    assert.equal(hinted.err, plain.err, bad);
  }
});
