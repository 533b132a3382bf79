import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from '../api/objects.js';
import { PodConfigError, type PodInputs } from './env.js';
import { podDirPath, preparePodDir, serviceAccountTokenPath } from './pod_dir.js';

const inputs: PodInputs = {
  configMaps: new Map([['cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { ok: 'yes' } }]]),
  secrets: new Map(),
  services: [],
  serviceHost: '127.0.0.1',
};

function pod(mountPath: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'a/b+c' },
    spec: { containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath }] }], volumes: [{ name: 'v', configMap: { name: 'cfg' } }], ...extra },
  };
}

test('pod dir: one directory per pod (uid made path-safe), volumes linked at their mount paths', (t) => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-poddir-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const dir = preparePodDir(data, pod('etc/app'), inputs);
  assert.equal(dir, join(data, 'pods', 'ns_p_a_b_c'));
  assert.equal(podDirPath(data, pod('x')), dir);
  assert.equal(readFileSync(join(dir, 'etc', 'app', 'ok'), 'utf8'), 'yes');
  // Idempotent.
  assert.equal(preparePodDir(data, pod('etc/app'), inputs), dir);
});

test('pod dir: mount paths outside the pod directory, unknown volumes, missing objects and bad keys are configuration errors', (t) => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-poddir-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const err = (re: RegExp) => (e: unknown) => e instanceof PodConfigError && re.test(e.message);
  assert.throws(() => preparePodDir(data, pod('../escape'), inputs), err(/mountPath "..\/escape" must be a relative path inside the pod directory/));
  assert.throws(() => preparePodDir(data, pod('/etc'), inputs), err(/mountPath "\/etc" must be a relative path/));
  assert.throws(() => preparePodDir(data, pod('.'), inputs), err(/is the pod directory itself/));
  assert.throws(() => preparePodDir(data, pod('m', { volumes: [] }), inputs), err(/unknown volume "v"/));
  assert.throws(() => preparePodDir(data, pod('m', { volumes: [{ name: 'v', secret: { secretName: 'nope' } }] }), inputs), err(/volume "v": secret "nope" not found/));
  assert.doesNotThrow(() => preparePodDir(data, pod('m', { volumes: [{ name: 'v', secret: { secretName: 'nope', optional: true } }] }), inputs));
  const badKey: PodInputs = { ...inputs, configMaps: new Map([['cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { '../x': 'no' } }]]) };
  assert.throws(() => preparePodDir(data, pod('k'), badKey), err(/key "..\/x" is not a valid file name/));
});

test('pod dir: the service account token is written 0600 in a 0700 serviceaccount directory and replaced on refresh', (t) => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-poddir-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const p = pod('etc/app');
  const dir = preparePodDir(data, p, { ...inputs, serviceAccountToken: 'tok-1', serviceAccountTokenFile: serviceAccountTokenPath(data, p) });
  const file = serviceAccountTokenPath(data, p);
  assert.equal(file, join(dir, 'serviceaccount', 'token'));
  assert.equal(readFileSync(file, 'utf8'), 'tok-1');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'serviceaccount')).mode & 0o777, 0o700);
  preparePodDir(data, p, { ...inputs, serviceAccountToken: 'tok-2' });
  assert.equal(readFileSync(file, 'utf8'), 'tok-2');
});
