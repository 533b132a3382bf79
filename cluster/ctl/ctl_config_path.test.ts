import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configPath, readConfig, readConfigPath, resolveConnection, writeConfig } from './ctl_config.js';

test('the config file lookup: --kubeconfig, VIGIL_CONFIG, ~/.vigil/config if present, then ./data/cluster/admin.conf', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctl-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const admin = join(dir, 'data', 'cluster', 'admin.conf');
  const env = { HOME: home };
  assert.equal(readConfigPath(env, '', dir), join(home, '.vigil', 'config'), 'nothing exists: the home file (empty config)');
  mkdirSync(join(dir, 'data', 'cluster'), { recursive: true });
  writeFileSync(admin, 'server: https://127.0.0.1:9443\n');
  assert.equal(readConfigPath(env, '', dir), admin);
  assert.equal(readConfigPath({ ...env, VIGIL_CONFIG: '/x/y' }, '', dir), '/x/y');
  assert.equal(readConfigPath({ ...env, VIGIL_CONFIG: '/x/y' }, '/k/c', dir), '/k/c');
  writeConfig(join(home, '.vigil', 'config'), { namespace: 'team-a' });
  assert.equal(statSync(join(home, '.vigil', 'config')).mode & 0o777, 0o600);
  assert.equal(readConfigPath(env, '', dir), join(home, '.vigil', 'config'), 'an existing home config wins over admin.conf');
  // Writing (config set-context) never targets the server's admin.conf.
  assert.equal(configPath(env), join(home, '.vigil', 'config'));
  assert.equal(configPath(env, '/k/c'), '/k/c');
});

test('certificate-authority may be a path or inline PEM', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctl-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.pem'), pem);
  const flags = { server: '', token: '', namespace: '', ca: '' };
  assert.equal(resolveConnection(flags, { 'certificate-authority': pem }).ca, pem);
  assert.equal(resolveConnection(flags, { 'certificate-authority': join(dir, 'ca.pem') }).ca, pem);
  writeConfig(join(dir, 'c'), { server: 'https://h:9443', 'certificate-authority': pem, token: 't' });
  assert.deepEqual(readConfig(join(dir, 'c')), { server: 'https://h:9443', 'certificate-authority': pem, token: 't' }, 'inline PEM survives the YAML round trip');
  assert.throws(() => resolveConnection(flags, { 'certificate-authority': join(dir, 'missing.pem') }), /cannot read the certificate authority/);
});
