/**
 * Differential test of the PromQL printer against the real Prometheus: every
 * dashboard-corpus expression is sent to Prometheus's `/api/v1/format_query`
 * (Debian's prometheus 2.42) and compared with Vigil's `prettyExpr`. Skipped, with
 * the reason, when no `prometheus` binary is installed.
 *
 * Known difference, not exercised by the corpus: 2.42 printed number literals with
 * `%v` (`1.136239445e+09`); Prometheus 3 prints them with `'f'` (`1136239445`), which
 * is what Vigil follows.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseExpr } from '../query/parser.js';
import { prettyExpr } from '../query/printer.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../..', import.meta.url));
const corpus = join(root, '..', 'shared', 'corpora', 'queries', 'dashboards.promql');

function havePrometheus(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${base}/-/ready`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('prometheus did not become ready within 15s');
}

test('prettyExpr matches Prometheus format_query on the dashboard corpus', { skip: havePrometheus() ? false : 'prometheus binary not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-promfmt-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global: {}\n');
  const port = await freePort();
  const proc = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base, proc);

  const exprs = readFileSync(corpus, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const diffs: string[] = [];
  for (const q of exprs) {
    const r = await fetch(`${base}/api/v1/format_query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
    const body = (await r.json()) as { status: string; data?: string; error?: string };
    assert.equal(body.status, 'success', `prometheus rejected ${q}: ${body.error}`);
    const mine = prettyExpr(parseExpr(q));
    if (body.data !== mine) diffs.push(`${q}\n  prometheus: ${body.data}\n  vigil:      ${mine}`);
  }
  assert.deepEqual(diffs, []);
});
