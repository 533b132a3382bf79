import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdStore } from './etcd_store.js';
import { type EtcdProcess, startEtcd } from './etcd_test_server.js';
import { runStoreConformance } from './store_conformance.js';

let etcd: EtcdProcess;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

runStoreConformance('etcd', async () => {
  const store = new EtcdStore(etcd.endpoint);
  const peers: EtcdStore[] = [];
  return {
    store,
    async openPeer() {
      const peer = new EtcdStore(etcd.endpoint);
      peers.push(peer);
      return peer;
    },
    // etcd expires leases on its own (wall) clock; there is nothing to inject.
    advance: (ms: number) => new Promise((r) => setTimeout(r, ms)),
    async cleanup() {
      for (const p of peers) await p.close();
      await store.close();
    },
  };
});

test('etcd store: an unreachable endpoint fails with unavailable', async () => {
  const s = new EtcdStore('127.0.0.1:1', { dialTimeoutMs: 300 });
  try {
    await assert.rejects(s.get('/x'), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'unavailable');
  } finally {
    await s.close();
  }
});
