import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { type BuildInfo, buildInfo, PROMETHEUS_COMPAT_VERSION } from '../build_info.js';
import { retentionText, type RuntimeState, statusRoutes } from './status.js';

const T_START = Date.UTC(2024, 0, 2, 3, 4, 5, 0);
const T_CONFIG = Date.UTC(2024, 0, 2, 3, 4, 6, 0);
const T_NOW = Date.UTC(2024, 0, 2, 4, 0, 0, 0);

async function statusApp(t: { after(fn: () => Promise<void>): void }, state: RuntimeState, info: BuildInfo = buildInfo()) {
  const app = Fastify({ logger: false });
  let yaml = 'global:\n  scrape_interval: 1m\n';
  await app.register(async (scope) =>
    statusRoutes(scope, {
      buildInfo: info,
      flags: { 'config.file': 'prometheus.yml', 'web.enable-lifecycle': 'false' },
      configYaml: () => yaml,
      runtimeState: () => state,
      now: () => T_NOW,
    }),
  );
  t.after(() => app.close());
  return { app, setYaml: (y: string) => void (yaml = y) };
}

const STATE: RuntimeState = {
  startTimeMs: T_START,
  reloadConfigSuccess: true,
  lastConfigTimeMs: T_CONFIG,
  storageRetention: '15d',
  corruptionCount: 0,
};

describe('status endpoints', () => {
  test('buildinfo reports a Prometheus semver >= 2.24 that Grafana accepts, and no features', async (t) => {
    const { app } = await statusApp(t, STATE);
    const res = await app.inject({ method: 'GET', url: '/api/v1/status/buildinfo' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { status: string; data: Record<string, unknown> };
    assert.equal(body.status, 'success');
    const version = String(body.data.version);
    assert.equal(version, PROMETHEUS_COMPAT_VERSION);
    const [major, minor] = version.split('.').map(Number);
    assert.ok(major! > 2 || (major === 2 && minor! >= 24), `version ${version} must be >= 2.24.0`);
    for (const key of ['revision', 'branch', 'buildUser', 'buildDate', 'goVersion', 'vigilVersion']) {
      assert.equal(typeof body.data[key], 'string', key);
    }
    assert.equal(body.data.features, undefined);
    assert.match(String(body.data.goVersion), /^node v\d+/);
  });

  test('flags are returned as a string map', async (t) => {
    const { app } = await statusApp(t, STATE);
    const res = await app.inject({ method: 'GET', url: '/api/v1/status/flags' });
    assert.deepEqual(res.json(), { status: 'success', data: { 'config.file': 'prometheus.yml', 'web.enable-lifecycle': 'false' } });
  });

  test('config returns the current YAML at request time', async (t) => {
    const { app, setYaml } = await statusApp(t, STATE);
    const a = await app.inject({ method: 'GET', url: '/api/v1/status/config' });
    assert.deepEqual(a.json(), { status: 'success', data: { yaml: 'global:\n  scrape_interval: 1m\n' } });
    setYaml('global: {}\n');
    const b = await app.inject({ method: 'GET', url: '/api/v1/status/config' });
    assert.deepEqual((b.json() as { data: unknown }).data, { yaml: 'global: {}\n' });
  });

  test('runtimeinfo has Prometheus field names and the server state', async (t) => {
    const { app } = await statusApp(t, { ...STATE, reloadConfigSuccess: false, storageRetention: '15d or 512MiB' });
    const res = await app.inject({ method: 'GET', url: '/api/v1/status/runtimeinfo' });
    const d = (res.json() as { data: Record<string, unknown> }).data;
    assert.equal(d.startTime, '2024-01-02T03:04:05.000Z');
    assert.equal(d.lastConfigTime, '2024-01-02T03:04:06.000Z');
    assert.equal(d.serverTime, '2024-01-02T04:00:00.000Z');
    assert.equal(d.reloadConfigSuccess, false);
    assert.equal(d.CWD, process.cwd());
    assert.equal(d.storageRetention, '15d or 512MiB');
    assert.equal(d.corruptionCount, 0);
    for (const key of ['goroutineCount', 'GOMAXPROCS', 'GOMEMLIMIT']) {
      assert.ok(Number.isInteger(d[key]) && (d[key] as number) > 0, `${key} = ${String(d[key])}`);
    }
    assert.equal(d.GOGC, '');
  });

  test('retention text joins time and size like Prometheus', () => {
    assert.equal(retentionText('15d', 0), '15d');
    assert.equal(retentionText('', 512 * 1024 * 1024), '512MiB');
    assert.equal(retentionText('30d', 1024 ** 3), '30d or 1GiB');
  });
});
