import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidLabelName } from '../tsdb/labels.js';
import { goQuote, UnquoteError, unquote } from './unquote.js';

describe('unquote', () => {
  test('Go escapes in double and single quotes, raw strings untouched', () => {
    assert.equal(unquote(String.raw`"\a\b\f\n\r\t\v\\\""`), '\x07\b\f\n\r\t\v\\"');
    assert.equal(unquote(String.raw`'\''`), "'");
    assert.equal(unquote('`a\\nb`'), 'a\\nb');
    assert.equal(unquote(String.raw`"\u00e9\U0001F600\101"`), 'é😀A');
  });
  test('byte escapes are decoded as UTF-8', () => {
    assert.equal(unquote(String.raw`"\xc3\xa9"`), 'é');
    assert.equal(unquote(String.raw`"\303\251"`), 'é');
  });
  test('bytes that are not UTF-8 survive as lone surrogates and print back as \\x', () => {
    const s = unquote(String.raw`"a\xc5z"`);
    assert.equal(s.length, 3);
    assert.equal(isValidLabelName(s), false);
    assert.equal(goQuote(s), String.raw`"a\xc5z"`);
    assert.equal(goQuote(unquote(String.raw`"\xff"`)), String.raw`"\xff"`);
  });
  test("escape errors carry Prometheus's messages", () => {
    const msg = (s: string): string => {
      try {
        unquote(s);
      } catch (e) {
        if (e instanceof UnquoteError) return e.message;
      }
      return 'no error';
    };
    assert.equal(msg(String.raw`"\q"`), "unknown escape sequence U+0071 'q'");
    assert.equal(msg(String.raw`'\"'`), `unknown escape sequence U+0022 '"'`);
    assert.equal(msg(String.raw`"\xZZ"`), "illegal character U+005A 'Z' in escape sequence");
    assert.equal(msg(String.raw`"\400"`), 'escape sequence is an invalid Unicode code point');
    assert.equal(msg(String.raw`"\ud800"`), 'escape sequence is an invalid Unicode code point');
  });
});

describe('goQuote', () => {
  test('quotes like strconv.Quote', () => {
    assert.equal(goQuote('a"b\\c\nd\x01é'), String.raw`"a\"b\\c\nd\x01é"`);
  });
});
