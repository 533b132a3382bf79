/**
 * Mutation fuzzing: corrupted bodies either parse or fail with a ParseError — never another
 * exception, never a hang — and every accepted series yields labels and a value.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { conformanceDir, TEXT_CASES } from './_test_bodies.js';
import { OpenMetricsParser } from './openmetrics_parser.js';
import { ParseError } from './parse_error.js';
import { Entry, type ExpositionParser } from './parser.js';
import { TextParser } from './text_parser.js';

/** Deterministic xorshift32 so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const INTERESTING = [0x20, 0x09, 0x0a, 0x0d, 0x00, 0x22, 0x5c, 0x7b, 0x7d, 0x3d, 0x2c, 0x23, 0x2e, 0x65, 0x2d, 0x2b, 0xff, 0xc3, 0xe2];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const out = Array.from(src);
  const edits = 1 + Math.floor(r() * 4);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(r() * (out.length + 1));
    const op = r();
    const byte = r() < 0.7 ? INTERESTING[Math.floor(r() * INTERESTING.length)]! : Math.floor(r() * 256);
    if (op < 0.4) out.splice(at, 0, byte);
    else if (op < 0.7) out.splice(at, 1);
    else out[Math.min(at, out.length - 1)] = byte;
  }
  return new Uint8Array(out);
}

function drain(p: ExpositionParser): number {
  let n = 0;
  const kv: string[] = [];
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) {
      p.labelsInto(kv);
      const at = kv.indexOf('__name__');
      assert.ok(at >= 0 && at % 2 === 0 && kv[at + 1] !== '' && kv[at + 1] === p.metricName());
      for (let k = 2; k < kv.length; k += 2) assert.ok(kv[k - 2]! < kv[k]!, 'sorted and unique');
      assert.equal(typeof p.value(), 'number');
      p.seriesKey();
      p.exemplar();
      assert.ok(Number.isInteger(p.createdTimestamp()));
      n++;
    } else if (e === Entry.Help) p.helpText();
    else if (e === Entry.Comment) p.comment();
    else p.metaName();
  }
  return n;
}

test('mutated text and OpenMetrics bodies parse or fail with a ParseError', () => {
  const dir = join(conformanceDir(), 'exposition', 'textparse');
  const om = readFileSync(join(dir, 'alltypes.5mfs.om.txt'));
  const textSeeds = [...TEXT_CASES.filter((c) => c.body.byteLength < 2000).map((c) => c.body), new Uint8Array(readFileSync(join(dir, 'alltypes.5mfs.om.txt')).subarray(0, 3000))];
  const r = rng(20261127);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const openMetrics = i % 2 === 0;
    const seed = openMetrics ? om : textSeeds[i % textSeeds.length]!;
    const body = mutate(seed, r);
    const p = openMetrics ? new OpenMetricsParser(body) : new TextParser(body);
    try {
      drain(p);
      accepted++;
    } catch (e) {
      if (!(e instanceof ParseError)) assert.fail(`non-ParseError ${String(e)} for ${JSON.stringify(Buffer.from(body).toString('latin1').slice(0, 300))}`);
      assert.ok(e.line >= 1 && e.column >= 1);
      rejected++;
    }
  }
  assert.ok(accepted > 100 && rejected > 100, `accepted ${accepted}, rejected ${rejected}`);
});
