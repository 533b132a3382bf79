/**
 * Untrusted input, bounded (end to end, the built server as a child process):
 * - an oversized API request body is refused with a 413 envelope, whether it declares its
 *   length or streams it chunked, and the server's resident memory does not grow with it;
 * - a scrape target that streams an endless body is cut off at `body_size_limit` (the
 *   target reports down with Prometheus's message) and the server's memory stays bounded;
 * - a slowloris client (headers never finished) is answered 408 and disconnected.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(ROOT, 'dist', 'cmd', 'vigil.js');
const MiB = 1 << 20;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m !== null);
  return Number(m[1]) * 1024;
}

async function eventually(what: string, check: () => Promise<boolean>, logs: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}; logs:\n${logs().slice(-3000)}`);
}

/** Streams `total` bytes of JSON-ish junk chunked to POST `path`; resolves with the status and body once answered. */
function streamBody(port: number, path: string, total: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (answered) return;
      // The server may answer 413 and close while we are still writing: the write then fails
      // (EPIPE/ECONNRESET) before the response is parsed. Give the response a moment; if it
      // never comes, the connection was cut, which also refuses the body (status 0).
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') {
        setTimeout(() => (answered ? undefined : resolve({ status: 0, body: '', sent })), 500);
        return;
      }
      reject(e);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

test('hostile clients and targets: 413 without memory growth, endless scrape bodies cut off, slowloris dropped', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // A target that never stops sending.
  let targetBytes = 0;
  const target = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    const line = Buffer.from('endless_metric{pad="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} 1\n'.repeat(1000));
    const pump = () => {
      while (!res.destroyed) {
        targetBytes += line.length;
        if (!res.write(line)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => res.destroy());
    pump();
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => target.close(() => r())));
  target.on('connection', (s) => t.after(() => void s.destroy()));
  const addr = target.address();
  const targetPort = typeof addr === 'object' && addr !== null ? addr.port : 0;

  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: endless\n    body_size_limit: 1MB\n    static_configs: [{targets: ['127.0.0.1:${targetPort}']}]\n`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [VIGIL, 'server', '--config.file=prometheus.yml', `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.path=data', '--web.read-timeout=2s'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout?.on('data', (b: Buffer) => (logs += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (logs += b.toString()));
  t.after(() => void child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await eventually('ready', async () => (await fetch(`${base}/-/ready`)).status === 200, () => logs);

  // The endless target is cut off at the limit, every scrape.
  const lastError = async (): Promise<{ health: string; lastError: string }> => {
    const body = (await (await fetch(`${base}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
    const tgt = body.data.activeTargets[0];
    return tgt === undefined ? { health: '', lastError: '' } : tgt;
  };
  await eventually('the endless target to be reported down', async () => (await lastError()).lastError === 'body size limit exceeded', () => logs);
  assert.equal((await lastError()).health, 'down');

  const pid = child.pid ?? 0;
  const rssBefore = rssBytes(pid);

  // A declared oversized body is refused before it is read.
  const declared = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (b: Buffer) => (data += b.toString()));
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    s.write(`POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${512 * MiB}\r\nConnection: close\r\n\r\n{"a":`);
    setTimeout(() => s.destroy(), 5000);
  });
  assert.match(declared, /^HTTP\/1\.1 413/);
  assert.match(declared, /"status":"error","errorType":"bad_data"/);

  // A chunked body with no declared length is cut off at 1 MiB, whatever the client keeps sending.
  const streamed = await streamBody(port, '/-/reload', 256 * MiB);
  if (streamed.status !== 0) {
    assert.equal(streamed.status, 413);
    assert.deepEqual(Object.keys(JSON.parse(streamed.body) as object).sort(), ['error', 'errorType', 'status']);
  }
  assert.ok(streamed.sent < 256 * MiB, `the server answered before the client sent everything (${streamed.sent} bytes)`);

  // Let several more endless scrapes happen, then compare memory.
  const bytesAtStart = targetBytes;
  await new Promise((r) => setTimeout(r, 3000));
  const rssAfter = rssBytes(pid);
  const growth = rssAfter - rssBefore;
  assert.ok(growth < 64 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB (before ${(rssBefore / MiB).toFixed(0)} MiB)`);
  assert.ok(targetBytes - bytesAtStart < 64 * MiB, `the target could push ${((targetBytes - bytesAtStart) / MiB).toFixed(1)} MiB in 3 s of scrapes`);

  // Slowloris: headers that never end are answered 408 and the socket closed within the header timeout.
  const started = Date.now();
  const slow = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (b: Buffer) => (data += b.toString()));
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    s.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => s.writable && s.write('X-Drip: 1\r\n'), 300);
    s.on('close', () => clearInterval(drip));
  });
  assert.match(slow, /^HTTP\/1\.1 408/);
  assert.ok(Date.now() - started < 6000, `cut off after ${Date.now() - started} ms`);
  process.stderr.write(`# hostile e2e: RSS ${(rssBefore / MiB).toFixed(0)} → ${(rssAfter / MiB).toFixed(0)} MiB; chunked body cut after ${(streamed.sent / MiB).toFixed(1)} MiB sent\n`);
});
