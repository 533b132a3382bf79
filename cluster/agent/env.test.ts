import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Service } from '../api/objects.js';
import { containerEnv, envPrefix, PodConfigError, type PodInputs, serviceEnv } from './env.js';

const svc = (name: string, ports: { port: number; name?: string }[]): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports } });

const inputs: PodInputs = {
  configMaps: new Map([['cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { k: 'from-cm' } }]]),
  secrets: new Map([['s', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { pw: Buffer.from('pä$$').toString('base64') } }]]),
  services: [svc('redis-main', [{ port: 6379 }]), svc('web', [{ port: 80, name: 'http' }, { port: 443, name: 'https' }])],
  serviceHost: '127.0.0.1',
};

test('service env vars: <NAME>_SERVICE_HOST/PORT from the first port, _PORT_<PORTNAME> per named port', () => {
  assert.equal(envPrefix('redis-main.x'), 'REDIS_MAIN_X');
  assert.deepEqual(serviceEnv(inputs.services, '10.0.0.1'), {
    REDIS_MAIN_SERVICE_HOST: '10.0.0.1',
    REDIS_MAIN_SERVICE_PORT: '6379',
    WEB_SERVICE_HOST: '10.0.0.1',
    WEB_SERVICE_PORT: '80',
    WEB_SERVICE_PORT_HTTP: '80',
    WEB_SERVICE_PORT_HTTPS: '443',
  });
});

test('container env: ports, then literal and referenced values; the container list wins over generated names; the agent env is not inherited', () => {
  const c: Container = {
    name: 'c',
    image: 'x',
    ports: [{ name: 'http' }, { name: 'admin-api' }],
    env: [
      { name: 'A', value: 'lit' },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
      { name: 'C', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
      { name: 'D', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nope', optional: true } } },
      { name: 'WEB_SERVICE_PORT', value: 'override' },
    ],
  };
  const env = containerEnv(c, [31000, 31001], inputs, { PATH: '/bin', SECRET_OF_AGENT: 'x' });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.SECRET_OF_AGENT, undefined);
  assert.equal(env.PORT, '31000');
  assert.equal(env.PORT_HTTP, '31000');
  assert.equal(env.PORT_ADMIN_API, '31001');
  assert.equal(env.A, 'lit');
  assert.equal(env.B, 'from-cm');
  assert.equal(env.C, 'pä$$');
  assert.equal('D' in env, false);
  assert.equal(env.WEB_SERVICE_PORT, 'override');
  assert.equal(env.REDIS_MAIN_SERVICE_PORT, '6379');
});

test('container env: a missing non-optional key or object is a configuration error naming the variable', () => {
  const bad = (ref: Container['env']) => () => containerEnv({ name: 'c', image: 'x', env: ref }, [], inputs, {});
  assert.throws(bad([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'missing' } } }]), (e: unknown) => e instanceof PodConfigError && e.message === 'container "c" env X: key "missing" not found in configmap "cm"');
  assert.throws(bad([{ name: 'Y', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }]), (e: unknown) => e instanceof PodConfigError && e.message === 'container "c" env Y: secret "gone" not found');
});

test('container env: a service account token is announced by its file, and the container env may override it', () => {
  const withToken = { ...inputs, serviceAccountToken: 't', serviceAccountTokenFile: '/data/pods/x/serviceaccount/token' };
  assert.equal(containerEnv({ name: 'c', image: 'x' }, [], withToken, {}).VIGIL_SERVICEACCOUNT_TOKEN_FILE, '/data/pods/x/serviceaccount/token');
  assert.equal(containerEnv({ name: 'c', image: 'x' }, [], inputs, {}).VIGIL_SERVICEACCOUNT_TOKEN_FILE, undefined, 'no token, no variable');
  const over = containerEnv({ name: 'c', image: 'x', env: [{ name: 'VIGIL_SERVICEACCOUNT_TOKEN_FILE', value: '/elsewhere' }] }, [], withToken, {});
  assert.equal(over.VIGIL_SERVICEACCOUNT_TOKEN_FILE, '/elsewhere');
});
