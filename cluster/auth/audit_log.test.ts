import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../api/http.js';
import { AuditLog } from './audit_log.js';

const rec = (i: number): AuditRecord => ({
  timeMs: Date.UTC(2026, 0, 1) + i,
  user: 'alice',
  groups: ['dev'],
  verb: 'create',
  resource: 'pods',
  namespace: 'default',
  name: `p${i}`,
  code: 201,
  sourceIP: '127.0.0.1',
  method: 'POST',
  uri: '/api/v1/namespaces/default/pods',
});

test('audit log: one JSON line per record, in order, file mode 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new AuditLog(join(dir, 'sub', 'audit.log'));
  for (let i = 0; i < 50; i++) log.record(rec(i));
  await log.flush();
  const lines = readFileSync(log.path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 50);
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(first, { time: '2026-01-01T00:00:00.000Z', user: 'alice', groups: ['dev'], verb: 'create', resource: 'pods', namespace: 'default', name: 'p0', code: 201, sourceIP: '127.0.0.1', method: 'POST', uri: '/api/v1/namespaces/default/pods' });
  assert.equal((JSON.parse(lines[49]!) as { name: string }).name, 'p49');
  assert.equal(statSync(log.path).mode & 0o777, 0o600);
});

test('audit log: rotates past maxBytes and keeps maxBackups files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.log');
  const log = new AuditLog(path, { maxBytes: 1000, maxBackups: 2 });
  for (let i = 0; i < 40; i++) {
    log.record(rec(i));
    await log.flush();
  }
  assert.ok(statSync(path).size <= 1000);
  assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`));
  assert.ok(!existsSync(`${path}.3`));
  const names = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name);
  assert.equal(names.at(-1), 'p39', 'the newest records are in the current file');
});

test('audit log: a full queue drops records and says how many', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new AuditLog(join(dir, 'audit.log'), { maxQueued: 5 });
  // The first record starts the writer (taking the queue); the next 5 fill it; 3 more are dropped.
  for (let i = 0; i < 9; i++) log.record(rec(i));
  await log.flush();
  const lines = readFileSync(log.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name?: string; dropped?: number });
  assert.equal(lines.filter((l) => l.name !== undefined).length, 6);
  assert.deepEqual(lines.filter((l) => l.dropped !== undefined).map((l) => l.dropped), [3]);
});
