import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { MemoryStorage } from '../tsdb/memory_storage.js';
import type { Storage } from '../tsdb/storage.js';
import { parseCommandArgs } from './cli.js';
import { EMBEDDED_CONFIG_FILE, type VigilConfig } from './config.js';
import { SERVER_FLAGS, type ServerFlags, serverFlagsFrom } from './flags.js';
import { StructuredLogger } from './logger.js';
import { type RunningServer, type ServerPart, type StartServerOptions, startServer } from './server.js';

const GOOD = (interval: string) => `global:
  scrape_interval: ${interval}
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['localhost:9090']
`;
const BROKEN = `global:
  scrape_interval: 15s
  scrape_intervl: 20s
`;

type After = { after(fn: () => Promise<void> | void): void };

function tempDir(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-server-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  return dir;
}

// Each server gets its own data directory, so parts that write there (TSDB, cluster store) never share one.
const scratch = mkdtempSync(join(tmpdir(), 'vigil-server-flags-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let scratchN = 0;

function serverFlags(...argv: string[]): ServerFlags {
  const data = join(scratch, String(scratchN++));
  return serverFlagsFrom(
    parseCommandArgs(['--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${data}`, ...argv], SERVER_FLAGS, { min: 0, max: 0 }),
  );
}

function quietLogger(lines: string[] = []): StructuredLogger {
  return new StructuredLogger({ level: 'debug', caller: false, sink: { write: (l) => void lines.push(l) } });
}

async function start(t: After, flags: ServerFlags, opts: StartServerOptions = {}): Promise<RunningServer> {
  // In-memory storage unless a test asks otherwise: these tests are about the server, not the TSDB.
  const s = await startServer(flags, { logger: quietLogger(), openStorage: async () => new MemoryStorage(), baseParts: [], ...opts });
  t.after(() => s.close());
  return s;
}

async function json(app: FastifyInstance, url: string): Promise<{ status: string; data: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return res.json() as { status: string; data: Record<string, unknown> };
}

describe('server composition root', () => {
  test('starts, becomes ready and serves the status API for the loaded config', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const s = await start(t, serverFlags(`--config.file=${cfg}`));
    assert.ok(s.port > 0);
    assert.equal(s.url, `http://127.0.0.1:${s.port}`);
    assert.equal((await s.app.inject({ method: 'GET', url: '/-/ready' })).statusCode, 200);
    const config = await json(s.app, '/api/v1/status/config');
    assert.match(String(config.data.yaml), /scrape_interval: 7s/);
    const flags = await json(s.app, '/api/v1/status/flags');
    assert.equal(flags.data['config.file'], cfg);
    const rt = await json(s.app, '/api/v1/status/runtimeinfo');
    assert.equal(rt.data.reloadConfigSuccess, true);
    assert.equal(rt.data.storageRetention, '15d');
  });

  test('/-/ready is 503 and the data API unavailable while storage opens; healthy is 200', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'p.yml'), GOOD('15s'));
    let openStorage: (s: Storage) => void = () => {};
    const storageOpened = new Promise<Storage>((resolve) => {
      openStorage = resolve;
    });
    let captured: FastifyInstance | null = null;
    const probe: ServerPart = {
      name: 'probe',
      register: async (app) => {
        captured = app;
        app.get('/api/v1/probe', async () => ({ status: 'success', data: 'probe' }));
      },
    };
    const starting = startServer(serverFlags(`--config.file=${join(dir, 'p.yml')}`), {
      logger: quietLogger(),
      parts: [probe],
      openStorage: () => storageOpened,
    });
    // Wait (bounded) until the server listens and is waiting for storage.
    for (let i = 0; i < 200 && (captured === null || !(captured as FastifyInstance).server.listening); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const app = captured as FastifyInstance | null;
    assert.ok(app !== null, 'the part was registered');
    assert.equal((await app.inject({ method: 'GET', url: '/-/healthy' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/-/ready' })).statusCode, 503);
    const probeRes = await app.inject({ method: 'GET', url: '/api/v1/probe' });
    assert.equal(probeRes.statusCode, 503);
    assert.equal((probeRes.json() as { errorType: string }).errorType, 'unavailable');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/status/buildinfo' })).statusCode, 200);
    openStorage(new MemoryStorage());
    const s = await starting;
    t.after(() => s.close());
    assert.equal((await app.inject({ method: 'GET', url: '/-/ready' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/probe' })).statusCode, 200);
  });

  test('a failed reload keeps the old configuration and is reported; a fixed one is applied', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const seen: VigilConfig[] = [];
    const part: ServerPart = {
      name: 'recorder',
      register: async (_app, ctx) => ctx.onConfigReload('recorder', (c) => void seen.push(c)),
    };
    const lines: string[] = [];
    const s = await start(t, serverFlags(`--config.file=${cfg}`), { parts: [part], logger: quietLogger(lines) });
    assert.equal(seen.length, 1, 'hook runs once at start-up');
    const first = s.config();

    writeFileSync(cfg, BROKEN);
    const bad = await s.reload();
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, new RegExp(`^${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: `));
    assert.equal(s.config(), first, 'old configuration kept');
    assert.equal(seen.length, 1, 'hooks not called for a config that does not parse');
    assert.equal(s.lastReloadSuccessful(), false);
    assert.equal((await json(s.app, '/api/v1/status/runtimeinfo')).data.reloadConfigSuccess, false);
    assert.ok(lines.some((l) => l.includes('level=error') && l.includes('keeping the previous configuration')));

    writeFileSync(cfg, GOOD('9s'));
    assert.deepEqual(await s.reload(), { ok: true });
    assert.equal(seen.length, 2);
    assert.equal(seen[1], s.config());
    assert.match(String((await json(s.app, '/api/v1/status/config')).data.yaml), /scrape_interval: 9s/);
    assert.equal((await json(s.app, '/api/v1/status/runtimeinfo')).data.reloadConfigSuccess, true);
  });

  test('a hook that throws fails the reload and names the part', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    let fail = false;
    const part: ServerPart = {
      name: 'picky',
      register: async (_app, ctx) =>
        ctx.onConfigReload('picky', () => {
          if (fail) throw new Error('cannot apply');
        }),
    };
    const s = await start(t, serverFlags(`--config.file=${cfg}`), { parts: [part] });
    fail = true;
    const r = await s.reload();
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /picky: cannot apply/);
  });

  test('concurrent reloads run one after another', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    let running = 0;
    let maxRunning = 0;
    const part: ServerPart = {
      name: 'slow',
      register: async (_app, ctx) =>
        ctx.onConfigReload('slow', async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setImmediate(r));
          running--;
        }),
    };
    const s = await start(t, serverFlags(`--config.file=${cfg}`), { parts: [part] });
    const results = await Promise.all([s.reload(), s.reload(), s.reload()]);
    assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
    assert.equal(maxRunning, 1);
  });

  test('a part that fails to register or to accept the initial config stops start-up and closes storage', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const broken: ServerPart = {
      name: 'broken',
      register: async () => {
        throw new Error('route clash');
      },
    };
    await assert.rejects(startServer(serverFlags(`--config.file=${cfg}`), { logger: quietLogger(), parts: [broken] }), /route clash/);

    let closed = 0;
    const refuses: ServerPart = {
      name: 'refuses',
      register: async (_app, ctx) =>
        ctx.onConfigReload('refuses', () => {
          throw new Error('no thanks');
        }),
    };
    await assert.rejects(
      startServer(serverFlags(`--config.file=${cfg}`), {
        logger: quietLogger(),
        parts: [refuses],
        openStorage: async () => {
          const m = new MemoryStorage();
          const inner = m.close.bind(m);
          m.close = async () => {
            closed++;
            await inner();
          };
          return m;
        },
      }),
      /refuses: no thanks/,
    );
    assert.equal(closed, 1);
  });

  test('an explicit --config.file that does not exist stops start-up', async (t) => {
    const dir = tempDir(t);
    const missing = join(dir, 'nope.yml');
    await assert.rejects(startServer(serverFlags(`--config.file=${missing}`), { logger: quietLogger() }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.ok(e.message.includes(missing), e.message);
      return true;
    });
  });

  test('an invalid config stops start-up with its file:line:col error', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'bad.yml');
    writeFileSync(cfg, BROKEN);
    await assert.rejects(startServer(serverFlags(`--config.file=${cfg}`), { logger: quietLogger() }), /bad\.yml:3:3: /);
  });

  test('the default config path, when absent, falls back to the embedded default and says so', async (t) => {
    const dir = tempDir(t);
    const lines: string[] = [];
    // --no-demo: the quick-start demo (cluster/demo/) has its own tests.
    const flags: ServerFlags = { ...serverFlags('--no-demo'), configFile: join(dir, 'prometheus.yml'), configFileGiven: false };
    const s = await start(t, flags, { logger: quietLogger(lines) });
    assert.ok(lines.some((l) => l.includes('embedded default configuration')));
    assert.equal(s.config().file, EMBEDDED_CONFIG_FILE);
    // The embedded default scrapes this server on the port it really listens on.
    assert.ok(String((await json(s.app, '/api/v1/status/config')).data.yaml).includes(`localhost:${s.port}`));
    // A file that appears later is picked up by reload.
    writeFileSync(join(dir, 'prometheus.yml'), GOOD('11s'));
    assert.deepEqual(await s.reload(), { ok: true });
    assert.match(String((await json(s.app, '/api/v1/status/config')).data.yaml), /scrape_interval: 11s/);
  });

  test('routes live under --web.route-prefix and / redirects there', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const s = await start(t, serverFlags(`--config.file=${cfg}`, '--web.route-prefix=/vigil'));
    assert.equal(s.url, `http://127.0.0.1:${s.port}/vigil`);
    assert.equal((await s.app.inject({ method: 'GET', url: '/vigil/-/healthy' })).statusCode, 200);
    assert.equal((await s.app.inject({ method: 'GET', url: '/vigil/api/v1/status/buildinfo' })).statusCode, 200);
    assert.equal((await s.app.inject({ method: 'GET', url: '/-/healthy' })).statusCode, 404);
    const root = await s.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/vigil/');
  });

  test('close stops HTTP and closes storage once; /-/quit calls onQuit', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    let closes = 0;
    let quits = 0;
    const s = await startServer(serverFlags(`--config.file=${cfg}`, '--web.enable-lifecycle'), {
      logger: quietLogger(),
      onQuit: () => void quits++,
      openStorage: async () => {
        const m = new MemoryStorage();
        const inner = m.close.bind(m);
        m.close = async () => {
          closes++;
          await inner();
        };
        return m;
      },
    });
    const quit = await s.app.inject({ method: 'POST', url: '/-/quit' });
    assert.equal(quit.statusCode, 200);
    assert.equal(quits, 1);
    await Promise.all([s.close(), s.close()]);
    assert.equal(closes, 1);
    assert.equal(s.app.server.listening, false);
    assert.deepEqual(await s.reload(), { ok: false, error: 'server is shutting down' });
  });

  test('connection limits and timeouts are set on the HTTP server', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const s = await start(t, serverFlags(`--config.file=${cfg}`, '--web.max-connections=7', '--web.read-timeout=30s'));
    const srv = s.app.server;
    assert.equal(srv.maxConnections, 7);
    assert.equal(srv.requestTimeout, 30_000);
    assert.equal(srv.headersTimeout, 10_000);
    assert.ok(srv.keepAliveTimeout > 0 && srv.keepAliveTimeout <= 30_000);
    assert.ok(srv.timeout > 0, 'idle sockets time out');
  });

  test('a client that sends its headers too slowly is cut off', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const s = await start(t, serverFlags(`--config.file=${cfg}`, '--web.read-timeout=1s'));
    const sock = await open(t, s.port);
    const started = Date.now();
    sock.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n'); // never finishes the headers
    const answer = await closed(sock, 5_000);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(Date.now() - started < 4_000);
  });

  test('--web.max-connections refuses connections beyond the limit', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'vigil.yml');
    writeFileSync(cfg, GOOD('7s'));
    const s = await start(t, serverFlags(`--config.file=${cfg}`, '--web.max-connections=2'));
    const held = [await open(t, s.port), await open(t, s.port)];
    // Give the server a moment to accept both before the third arrives.
    await new Promise((r) => setTimeout(r, 50));
    const third = await open(t, s.port);
    third.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await closed(third, 5_000), '', 'dropped without an answer');
    held[0]!.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(await closed(held[0]!, 5_000), /^HTTP\/1\.1 200/);
    // A connected socket that never sends a request would hold shutdown until its grace ends.
    held[1]!.destroy();
  });
});

async function open(t: After, port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  t.after(() => void sock.destroy());
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  return sock;
}

/** Everything the server sent until it closed the socket; fails after `ms`. */
async function closed(sock: Socket, ms: number): Promise<string> {
  let data = '';
  sock.on('data', (b: Buffer) => (data += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}
