/**
 * Differential tests of the PromQL parser and printer against the real Prometheus
 * (Debian's prometheus 2.42), skipped with the reason when it is not installed:
 * - every dashboard-corpus expression is sent to `/api/v1/format_query` and the answer
 *   compared with Vigil's `prettyExpr`;
 * - random token soups (fixed seed) are sent to `/api/v1/query`: Vigil must accept
 *   exactly what Prometheus accepts and otherwise fail with the same message, except for
 *   what changed between 2.42 and 3.x (durations as numbers, `start()`/`end()` as
 *   experimental functions, 2.42's garbled description of `@`).
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
import { after, before, describe, test } from 'node:test';
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

const skip = havePrometheus() ? false : 'prometheus binary not installed';

describe('differential against Prometheus', { skip }, () => {
  let base = '';
  let proc: ChildProcess | null = null;
  let dir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-promfmt-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, 'global: {}\n');
    const port = await freePort();
    proc = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    base = `http://127.0.0.1:${port}`;
    await waitReady(base, proc);
  });

  after(() => {
    if (proc !== null && proc.exitCode === null) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('prettyExpr matches format_query on the dashboard corpus', async () => {
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

  test('random expressions: same acceptance and the same parse error messages', async () => {
    const frags = ['sum', 'by', '(', ')', '{', '}', '[', ']', ':', ',', 'x', 'rate', '5m', '1', 'a="b"', '=', '=~', '!=', '+', '-', '*', '/', '^', 'and', 'or',
      'offset', '@', 'start()', 'bool', 'on', 'group_left', 'topk', '1e3', '0x1F', "'b'", '`c`', ' ', 'le', 'nan', 'inf', '>', '<=', 'without', 'ignoring',
      'count_values', 'label_replace', 'atan2', '%', '.5', 'unless', 'end()', 'abs', 'y'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bad: string[] = [];
    let compared = 0;
    for (let i = 0; i < 2000; i++) {
      let q = '';
      for (let j = 1 + rnd(8); j > 0; j--) q += frags[rnd(frags.length)]! + (rnd(3) === 0 ? ' ' : '');
      let mine: string | null = null;
      try {
        parseExpr(q, { enableExperimentalFunctions: false });
      } catch (e) {
        mine = (e as Error).message;
      }
      const r = await fetch(`${base}/api/v1/query?time=1000&query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as { status: string; errorType?: string; error?: string };
      const theirs = body.status === 'error' && body.errorType === 'bad_data' ? (body.error ?? '').replace(/^invalid parameter "query": /, '') : null;
      // Changes between 2.42 and 3.x.
      if (theirs !== null && /unexpected duration|missing unit|<Item \d+>/.test(theirs)) continue;
      if (mine !== null && /function "(start|end)" is not enabled/.test(mine)) continue;
      compared++;
      if (mine !== theirs) bad.push(`${JSON.stringify(q)}\n  prometheus: ${theirs}\n  vigil:      ${mine}`);
    }
    assert.ok(compared > 1500, `only ${compared} expressions compared`);
    assert.deepEqual(bad, []);
  });
});
