import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logPaths, RotatingLog } from './logs.js';

const line = (i: number) => Buffer.from(`line ${String(i).padStart(3, '0')}\n`); // 9 bytes

test('rotating log: rotates to .1 before passing the cap, keeps one rotated file, never exceeds the cap', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new RotatingLog(dir, 'c', 100);
  for (let i = 0; i < 30; i++) log.write(line(i)); // 270 bytes: 11 lines per file
  log.close();
  const p = logPaths(dir, 'c');
  assert.ok(statSync(p.current).size <= 100 && statSync(p.rotated).size <= 100);
  assert.equal(readFileSync(p.rotated, 'utf8'), Array.from({ length: 11 }, (_, i) => line(11 + i).toString()).join(''));
  assert.equal(readFileSync(p.current, 'utf8'), Array.from({ length: 8 }, (_, i) => line(22 + i).toString()).join(''));
});

test('rotating log: a chunk larger than the cap keeps its tail; a new run moves the log to .previous and drops the rotated file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = logPaths(dir, 'c');
  const first = new RotatingLog(dir, 'c', 20);
  first.write(Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'));
  first.write(Buffer.from('!'));
  first.close();
  assert.equal(readFileSync(p.rotated, 'utf8'), 'ghijklmnopqrstuvwxyz');
  assert.equal(readFileSync(p.current, 'utf8'), '!');
  const second = new RotatingLog(dir, 'c', 20);
  second.write(Buffer.from('run 2\n'));
  second.close();
  assert.equal(readFileSync(p.previous, 'utf8'), '!');
  assert.equal(existsSync(p.rotated), false);
  assert.equal(readFileSync(p.current, 'utf8'), 'run 2\n');
  // Reopening without a new run appends.
  const same = new RotatingLog(dir, 'c', 20, false);
  same.write(Buffer.from('more\n'));
  same.close();
  assert.equal(readFileSync(p.current, 'utf8'), 'run 2\nmore\n');
});
