/**
 * End-to-end: the built `vigil` binary as a real process on a real port —
 * readiness, the status API, lifecycle endpoints, reload by SIGHUP and by
 * POST /-/reload (broken config kept out, fixed config applied), and clean
 * exits on SIGTERM and /-/quit.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(ROOT, 'dist', 'cmd', 'vigil.js');

const config = (interval: string) => `global:
  scrape_interval: ${interval}
  external_labels:
    site: e2e
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: ['localhost:9090']
`;
const BROKEN = `global:
  scrape_interval: 15s
scrape_configs:
  - job_name: vigil
    scrape_interval: ten seconds
`;

type After = { after(fn: () => Promise<void> | void): void };

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, release it). */
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

interface Proc {
  child: ChildProcess;
  base: string;
  logs: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function launch(t: After, dir: string, extra: string[], fixedPort?: number): Promise<Proc> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [VIGIL, 'server', `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, 'data')}`, ...extra],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, base: `http://127.0.0.1:${port}`, logs: () => out, exited };
}

/** Polls `check` every 50 ms until it returns true; fails after `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
}

async function waitReady(p: Proc): Promise<void> {
  await eventually('/-/ready to answer 200', async () => (await fetch(`${p.base}/-/ready`)).status === 200);
}

async function api(p: Proc, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(p.base + path);
  assert.equal(res.status, 200, path);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { status: string; data: Record<string, unknown> };
  assert.equal(body.status, 'success');
  return body.data;
}

async function exitsWithin(p: Proc, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms; logs:\n${p.logs()}`)), ms);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tempDir(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('vigil server (built binary)', () => {
  test('serves status, refuses lifecycle without the flag, reloads on SIGHUP, exits 0 on SIGTERM', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, config('15s'));
    const p = await launch(t, dir, [`--config.file=${cfg}`, '--query.timeout=1m']);
    await waitReady(p);

    const healthy = await fetch(`${p.base}/-/healthy`);
    assert.equal(healthy.status, 200);
    assert.equal(await healthy.text(), 'Vigil is Healthy.\n');

    const build = await api(p, '/api/v1/status/buildinfo');
    assert.match(String(build.version), /^2\.\d+\.\d+$/);
    assert.equal(build.features, undefined);
    const flags = await api(p, '/api/v1/status/flags');
    assert.equal(flags['config.file'], cfg);
    assert.equal(flags['query.timeout'], '1m');
    assert.equal(flags['web.enable-lifecycle'], 'false');
    assert.equal(flags['storage.tsdb.retention.time'], '15d');
    assert.match(String((await api(p, '/api/v1/status/config')).yaml), /scrape_interval: 15s/);
    const rt = await api(p, '/api/v1/status/runtimeinfo');
    assert.equal(rt.reloadConfigSuccess, true);
    assert.equal(rt.CWD, dir);

    for (const path of ['/-/reload', '/-/quit']) {
      const res = await fetch(p.base + path, { method: 'POST' });
      assert.equal(res.status, 403, path);
      assert.equal(await res.text(), 'Lifecycle API is not enabled.\n');
    }

    // SIGHUP with a broken file: the old configuration stays, the failure is visible.
    writeFileSync(cfg, BROKEN);
    p.child.kill('SIGHUP');
    await eventually('runtimeinfo to report the failed reload', async () => (await api(p, '/api/v1/status/runtimeinfo')).reloadConfigSuccess === false);
    assert.match(String((await api(p, '/api/v1/status/config')).yaml), /scrape_interval: 15s/);
    assert.match(p.logs(), /level=error .*keeping the previous configuration.*vigil\.yml:5:/);

    // SIGHUP with a fixed file: applied.
    writeFileSync(cfg, config('20s'));
    p.child.kill('SIGHUP');
    await eventually('the new configuration', async () => /scrape_interval: 20s/.test(String((await api(p, '/api/v1/status/config')).yaml)));
    assert.equal((await api(p, '/api/v1/status/runtimeinfo')).reloadConfigSuccess, true);

    p.child.kill('SIGTERM');
    const exit = await exitsWithin(p, 5000);
    assert.deepEqual(exit, { code: 0, signal: null }, p.logs());
    assert.match(p.logs(), /Storage closed/);
  });

  test('with --web.enable-lifecycle: POST /-/reload reports failure, applies fixes; /-/quit exits 0', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, config('15s'));
    const p = await launch(t, dir, [`--config.file=${cfg}`, '--web.enable-lifecycle', '--log.format=json']);
    await waitReady(p);

    writeFileSync(cfg, BROKEN);
    const bad = await fetch(`${p.base}/-/reload`, { method: 'POST' });
    assert.equal(bad.status, 500);
    const reason = await bad.text();
    assert.ok(reason.startsWith(`failed to reload config: ${cfg}:5:`), reason);
    assert.match(String((await api(p, '/api/v1/status/config')).yaml), /scrape_interval: 15s/);
    assert.equal((await api(p, '/api/v1/status/runtimeinfo')).reloadConfigSuccess, false);

    writeFileSync(cfg, config('30s'));
    const ok = await fetch(`${p.base}/-/reload`, { method: 'PUT' });
    assert.equal(ok.status, 200);
    assert.match(String((await api(p, '/api/v1/status/config')).yaml), /scrape_interval: 30s/);
    assert.equal((await api(p, '/api/v1/status/runtimeinfo')).reloadConfigSuccess, true);

    // Logs are JSON lines.
    const records = p
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.ok(records.some((r) => r.level === 'error' && r.msg.includes('keeping the previous configuration')));

    const quit = await fetch(`${p.base}/-/quit`, { method: 'POST' });
    assert.equal(quit.status, 200);
    assert.deepEqual(await exitsWithin(p, 5000), { code: 0, signal: null });
  });

  test('SIGINT also shuts down cleanly', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, config('15s'));
    const p = await launch(t, dir, [`--config.file=${cfg}`]);
    await waitReady(p);
    p.child.kill('SIGINT');
    assert.deepEqual(await exitsWithin(p, 5000), { code: 0, signal: null });
  });

  test('a second signal during a shutdown that waits for a request forces exit 1', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, config('15s'));
    const p = await launch(t, dir, [`--config.file=${cfg}`]);
    await waitReady(p);
    // A request whose body never completes keeps the connection busy, so the
    // graceful shutdown has to wait for it (up to its grace period).
    const port = Number(new URL(p.base).port);
    const sock = connect(port, '127.0.0.1');
    t.after(() => void sock.destroy());
    sock.on('error', () => {});
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write('POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"partial":');
    await new Promise((r) => setTimeout(r, 100));
    p.child.kill('SIGTERM');
    await eventually('the shutdown to start', async () => p.logs().includes('exiting gracefully'));
    assert.equal(p.child.exitCode, null, 'still waiting for the open request');
    p.child.kill('SIGTERM');
    assert.deepEqual(await exitsWithin(p, 5000), { code: 1, signal: null });
    assert.match(p.logs(), /second signal/);
  });

  test('start-up failures exit 1 and say why', async (t) => {
    const dir = tempDir(t);
    const missing = await launch(t, dir, [`--config.file=${join(dir, 'absent.yml')}`]);
    assert.equal((await exitsWithin(missing, 10_000)).code, 1);
    assert.match(missing.logs(), /level=error .*absent\.yml/);

    const cfg = join(dir, 'bad.yml');
    writeFileSync(cfg, BROKEN);
    const bad = await launch(t, dir, [`--config.file=${cfg}`]);
    assert.equal((await exitsWithin(bad, 10_000)).code, 1);
    assert.match(bad.logs(), /bad\.yml:5:/);

    // The port is taken: listening fails, the process says so and exits 1.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    t.after(() => void blocker.close());
    const addr = blocker.address();
    const taken = typeof addr === 'object' && addr !== null ? addr.port : 0;
    writeFileSync(cfg, config('15s'));
    const busy = await launch(t, dir, [`--config.file=${cfg}`], taken);
    assert.equal((await exitsWithin(busy, 10_000)).code, 1);
    assert.match(busy.logs(), /EADDRINUSE/);
  });

  test('without a config file in the working directory it starts on the embedded default', async (t) => {
    const dir = tempDir(t);
    // --no-demo: the quick-start demo (cluster/demo/) has its own tests.
    const p = await launch(t, dir, ['--no-demo']);
    await waitReady(p);
    assert.match(p.logs(), /embedded default configuration/);
    p.child.kill('SIGTERM');
    assert.equal((await exitsWithin(p, 5000)).code, 0);
  });
});
