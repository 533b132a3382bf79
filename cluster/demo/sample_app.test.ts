/**
 * The demo's sample app as the node agent runs it: `node sample_app.js` with
 * `PORT`; it serves `/` (counted, timed), `/healthz`, `/metrics` in the text
 * format (checked with the scrape parser's expectations: counters by code and a
 * cumulative histogram), logs its start, and exits 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE_APP } from './demo_objects.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

test('the sample app serves /, /healthz and /metrics, and stops on SIGTERM', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [SAMPLE_APP], { env: { ...process.env, PORT: String(port), WORK_ITERATIONS: '10' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 10_000;
  while (!out.includes('listening') && Date.now() < end) await sleep(20);
  assert.match(out, new RegExp(`demo web app .* listening on 127\\.0\\.0\\.1:${port}`));

  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/`)).status, 200);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
  const m = await fetch(`${base}/metrics`);
  assert.match(m.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await m.text();
  const value = (series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line !== undefined, `${series} in\n${text}`);
    return Number(line.slice(series.length + 1));
  };
  assert.equal(value('http_requests_total{code="200"}'), 3);
  assert.equal(value('http_requests_total{code="404"}'), 1);
  assert.equal(value('http_request_duration_seconds_count'), 3);
  assert.equal(value('http_request_duration_seconds_bucket{le="+Inf"}'), 3);
  assert.ok(value('http_request_duration_seconds_sum') > 0);
  // Buckets are cumulative: non-decreasing up to +Inf.
  const buckets = text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_bucket')).map((l) => Number(l.split(' ')[1]));
  for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i] ?? 0) >= (buckets[i - 1] ?? 0), text);
  assert.match(text, /# TYPE http_request_duration_seconds histogram/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, /received SIGTERM after 3 requests: shutting down/);
});
