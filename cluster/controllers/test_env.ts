/**
 * A cluster for controller and scheduler tests: a real SQLite-backed Registry
 * in a temporary directory with an injected clock, and helpers that act like a
 * node agent would (report a pod Running and Ready through `/status`).
 * Test-only; not used by production code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Node, Pod } from '../api/objects.js';
import { Registry } from '../api/registry.js';
import { SqliteStore } from '../store/sqlite_store.js';
import { timestamp } from './pod_state.js';
import { NODES, PODS } from './resources.js';

export interface TestCluster {
  registry: Registry;
  store: SqliteStore;
  dir: string;
  now(): number;
  advance(ms: number): void;
  pods(ns?: string): Promise<Pod[]>;
  setPodReady(p: Pod, ready: boolean): Promise<Pod>;
  addNode(name: string, opts?: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; ready?: boolean; spec?: Node['spec'] }): Promise<Node>;
}

export async function testCluster(t: TestContext): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctrl-'));
  const store = new SqliteStore(join(dir, 'c.db'), { pollIntervalMs: 0, leaseSweepIntervalMs: 0 });
  let clock = Date.parse('2026-03-04T05:06:00Z');
  const registry = new Registry(store, { now: () => clock, eventTtlSeconds: 0 });
  await registry.ensureSystemNamespaces();
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    registry,
    store,
    dir,
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    pods: async (ns = 'default') => (await registry.list(PODS, ns)).items as Pod[],
    setPodReady: async (p, ready) => {
      const cur = (await registry.get(PODS, p.metadata.namespace ?? 'default', p.metadata.name)) as Pod;
      const ts = timestamp(clock);
      const status: Pod['status'] = {
        phase: 'Running',
        podIP: '127.0.0.1',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: ts },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: ts },
        ],
        containerStatuses: cur.spec.containers.map((c) => ({ name: c.name, ready, restartCount: 0, state: { running: { startedAt: ts } } })),
      };
      return (await registry.update(PODS, cur.metadata.namespace ?? 'default', cur.metadata.name, { ...cur, status }, { subresource: 'status' })) as Pod;
    },
    addNode: async (name, o = {}) => {
      const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
      const n = (await registry.create(NODES, '', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
        spec: o.spec ?? {},
      })) as Node;
      const status: Node['status'] = {
        capacity: alloc,
        allocatable: alloc,
        conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastHeartbeatTime: timestamp(clock), lastTransitionTime: timestamp(clock) }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      };
      return (await registry.update(NODES, '', name, { ...n, status }, { subresource: 'status' })) as Node;
    },
  };
}
