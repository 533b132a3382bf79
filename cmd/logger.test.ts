import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type LoggerOptions, logfmtValue, StructuredLogger } from './logger.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0, 123);

function capture(opts: LoggerOptions = {}): { logger: StructuredLogger; lines: string[] } {
  const lines: string[] = [];
  const logger = new StructuredLogger({ now: () => T0, sink: { write: (l) => void lines.push(l) }, ...opts });
  return { logger, lines };
}

describe('structured logger', () => {
  test('logfmt lines carry ts, caller, level, context, msg and fields in that order', () => {
    const { logger, lines } = capture();
    logger.child({ component: 'web' }).info('Start listening', { address: '0.0.0.0:9090', n: 3 });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^ts=2024-05-01T10:00:00\.123Z caller=logger\.test\.js:\d+ level=info component=web msg="Start listening" address=0\.0\.0\.0:9090 n=3\n$/,
    );
  });

  test('records below the level are dropped', () => {
    const { logger, lines } = capture({ level: 'warn', caller: false });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      lines.map((l) => /level=(\w+)/.exec(l)?.[1]),
      ['warn', 'error'],
    );
    assert.equal(logger.enabled('info'), false);
    assert.equal(logger.enabled('error'), true);
  });

  test('logfmt quotes and escapes values that need it', () => {
    assert.equal(logfmtValue('plain'), 'plain');
    assert.equal(logfmtValue(''), '""');
    assert.equal(logfmtValue('two words'), '"two words"');
    assert.equal(logfmtValue('a="b"'), '"a=\\"b\\""');
    assert.equal(logfmtValue('line1\nline2'), '"line1\\nline2"');
    assert.equal(logfmtValue('back\\slash'), '"back\\\\slash"');
    assert.equal(logfmtValue('bell\u0007'), '"bell\\u0007"');
  });

  test('errors are logged by message and objects as JSON', () => {
    const { logger, lines } = capture({ caller: false });
    logger.error('failed', { err: new Error('disk full'), obj: { a: 1 } });
    assert.match(lines[0]!, /msg=failed err="disk full" obj="\{\\"a\\":1\}"/);
  });

  test('json lines parse back to the same record', () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.child({ component: 'tsdb' }).warn('slow "replay"', { segments: 4, err: new Error('x') });
    const rec: unknown = JSON.parse(lines[0]!);
    assert.deepEqual(rec, {
      ts: '2024-05-01T10:00:00.123Z',
      caller: (rec as { caller: string }).caller,
      level: 'warn',
      component: 'tsdb',
      msg: 'slow "replay"',
      segments: 4,
      err: 'x',
    });
    assert.match((rec as { caller: string }).caller, /^logger\.test\.js:\d+$/);
  });

  test('a field that cannot be serialised does not lose the record', () => {
    const { logger, lines } = capture({ format: 'json', caller: false });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.info('still here', { cyclic });
    assert.equal((JSON.parse(lines[0]!) as { msg: string }).msg, 'still here');
  });
});
