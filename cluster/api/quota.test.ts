import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, ResourceQuota } from './objects.js';
import { addUsage, checkQuota, podCharged, podUsage, type Usage, usedList } from './quota.js';

const pod = (containers: { cpu?: string; memory?: string; limitCpu?: string }[], phase: Pod['status'] = { phase: 'Running' }): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: {
    containers: containers.map((c, i) => {
      const requests: Record<string, string> = {};
      if (c.cpu) requests.cpu = c.cpu;
      if (c.memory) requests.memory = c.memory;
      return { name: `c${i}`, image: 'x', resources: { requests, ...(c.limitCpu ? { limits: { cpu: c.limitCpu } } : {}) } };
    }),
  },
  status: phase,
});

const quota = (hard: Record<string, string>): ResourceQuota => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard } });

test('quota usage sums containers and skips terminal pods', () => {
  const u = podUsage(pod([{ cpu: '250m', memory: '64Mi' }, { cpu: '0.5', limitCpu: '1' }]));
  assert.deepEqual([...u.entries()].sort(), [
    ['limits.cpu', 1],
    ['pods', 1],
    ['requests.cpu', 0.75],
    ['requests.memory', 64 * 2 ** 20],
  ]);
  assert.equal(podCharged(pod([], { phase: 'Succeeded' })), false);
  assert.equal(podCharged(pod([], { phase: 'Pending' })), true);
  const total: Usage = new Map();
  addUsage(total, u);
  addUsage(total, u);
  assert.equal(total.get('requests.cpu'), 1.5);
});

test('quota check: exact fits pass, overflows name only the exceeded resources, aliases work', () => {
  const q = quota({ cpu: '1', memory: '1Gi', pods: '3' });
  const used: Usage = new Map([
    ['pods', 2],
    ['requests.cpu', 0.7],
    ['requests.memory', 2 ** 29],
  ]);
  assert.equal(checkQuota(q, used, podUsage(pod([{ cpu: '100m', memory: '1Mi' }, { cpu: '200m', memory: '1Mi' }]))), null, '0.7 + 0.3 fits exactly');
  assert.equal(
    checkQuota(q, used, podUsage(pod([{ cpu: '400m', memory: '1Mi' }]))),
    'exceeded quota: q, requested: cpu=400m, used: cpu=700m, limited: cpu=1',
  );
  assert.equal(checkQuota(q, used, podUsage(pod([{ memory: '1Mi' }]))), 'failed quota: q: must specify cpu');
  assert.deepEqual(usedList(q, used), { cpu: '700m', memory: '512Mi', pods: '2' });
});
