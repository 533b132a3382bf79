import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embeddedDefaultConfig } from '../../cmd/config.js';
import { targetsFromGroup } from '../../scrape/target.js';
import { HOST_PORTS_ANNOTATION } from '../agent/service_proxy.js';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/objects.js';
import { podTemplateHash } from '../api/pod_template_hash.js';
import { ROLLBACK_ANNOTATION } from '../controllers/deployment_controller.js';
import { podGroup } from '../discovery_groups.js';
import { AUTO_ROLLBACK_TO_ANNOTATION, decideRollback, type RollbackDecision, type RollbackInput, settleWindowMs } from './rollback_match.js';

const T0 = Date.parse('2026-05-01T12:00:00Z');
const tpl = (image: string): PodTemplateSpec => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } });
const H1 = podTemplateHash(tpl('app v1'));
const H2 = podTemplateHash(tpl('app v2'));
const H0 = podTemplateHash(tpl('app v0'));

function rs(hash: string, revision: number, replicas: number, available: number, ownerUid = 'dep-uid'): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      uid: `rs-${hash}`,
      labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash },
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: ownerUid, controller: true }],
    },
    spec: { replicas, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } }, template: tpl('x') },
    status: { replicas, availableReplicas: available },
  };
}

/** A Deployment on v2 (generation 2) whose status the controller has written. */
function dep(o: { complete?: boolean; completedAt?: number; observed?: number; spec?: Partial<Deployment['spec']>; annotations?: Record<string, string> } = {}): Deployment {
  const done = o.complete === true;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', uid: 'dep-uid', generation: 2, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: tpl('app v2'), rollbackOn: ['HighErrorRate', 'PodCrashLooping'], ...(o.spec ?? {}) },
    status: {
      observedGeneration: o.observed ?? 2,
      conditions: [
        done
          ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: new Date(o.completedAt ?? T0).toISOString() }
          : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: new Date(T0).toISOString() },
      ],
    },
  };
}

const midRollout = (): ReplicaSet[] => [rs(H1, 1, 2, 2), rs(H2, 2, 2, 1)];
const finished = (): ReplicaSet[] => [rs(H1, 1, 0, 0), rs(H2, 2, 3, 3)];

function decide(p: Partial<RollbackInput> & { labels?: Record<string, string> }): RollbackDecision {
  return decideRollback({
    deployment: p.deployment ?? dep(),
    replicaSets: p.replicaSets ?? midRollout(),
    alertName: p.alertName ?? 'HighErrorRate',
    labels: p.labels ?? { namespace: 'shop', pod_template_hash: H2 },
    pod: p.pod,
    now: p.now ?? T0 + 5000,
  });
}

const reason = (d: RollbackDecision): string => (d.kind === 'ignore' ? d.reason : 'rollback');

function pod(name: string, hash: string, ownerRs: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: ownerRs, uid: `rs-${hash}`, controller: true }] },
    spec: { containers: [{ name: 'app', image: 'x' }] },
  };
}

test('rollback match: an alert with the new revision pod_template_hash during the rollout rolls back to the previous revision', () => {
  const d = decide({});
  assert.equal(d.kind, 'rollback');
  if (d.kind !== 'rollback') return;
  assert.equal(d.newRS.metadata.name, `web-${H2}`);
  assert.equal(d.previous.metadata.name, `web-${H1}`);
  assert.equal(d.matchedBy, `pod_template_hash="${H2}"`);
});

test('rollback match: the previous revision is the highest older one, not the first', () => {
  const d = decide({ replicaSets: [rs(H0, 1, 0, 0), rs(H1, 3, 2, 2), rs(H2, 4, 2, 1)] });
  assert.equal(d.kind === 'rollback' ? d.previous.metadata.name : reason(d), `web-${H1}`);
});

test('rollback match: alerts for the old revision, another namespace, another deployment or an unlisted alert are ignored', () => {
  assert.equal(reason(decide({ labels: { namespace: 'shop', pod_template_hash: H1 } })), 'old_revision');
  assert.equal(reason(decide({ labels: { namespace: 'other', pod_template_hash: H2 } })), 'other_namespace');
  assert.equal(reason(decide({ labels: { pod_template_hash: H2 } })), 'other_namespace', 'no namespace label at all');
  assert.equal(reason(decide({ labels: { namespace: 'shop', deployment: 'api', pod_template_hash: H2 } })), 'other_deployment');
  assert.equal(reason(decide({ labels: { namespace: 'shop', deployment: 'web', pod_template_hash: H2 } })), 'rollback');
  assert.equal(reason(decide({ alertName: 'DiskFull' })), 'not_listed');
  assert.equal(reason(decide({ labels: { namespace: 'shop', deployment: 'web' } })), 'no_revision_label', 'a deployment-wide alert does not say which revision is bad');
});

test('rollback match: a pod label counts when the pod belongs to the new ReplicaSet; replicaset label by name', () => {
  const newPod = pod('web-new-1', H2, `web-${H2}`);
  assert.equal(reason(decide({ labels: { namespace: 'shop', pod: 'web-new-1' }, pod: newPod })), 'rollback');
  const oldPod = pod('web-old-1', H1, `web-${H1}`);
  assert.equal(reason(decide({ labels: { namespace: 'shop', pod: 'web-old-1' }, pod: oldPod })), 'old_revision');
  assert.equal(reason(decide({ labels: { namespace: 'shop', pod: 'gone' } })), 'no_revision_label', 'an unknown pod names no revision');
  assert.equal(reason(decide({ labels: { namespace: 'shop', replicaset: `web-${H2}` } })), 'rollback');
  assert.equal(reason(decide({ labels: { namespace: 'shop', replicaset: `web-${H1}` } })), 'old_revision');
  // pod_template_hash wins over a pod label.
  assert.equal(reason(decide({ labels: { namespace: 'shop', pod_template_hash: H1, pod: 'web-new-1' }, pod: newPod })), 'old_revision');
});

test('rollback match: the settle window is max(minReadySeconds, 30s) after completion, capped by progressDeadlineSeconds', () => {
  const at = (ms: number, spec: Partial<Deployment['spec']> = {}) =>
    reason(decide({ deployment: dep({ complete: true, completedAt: T0, spec }), replicaSets: finished(), now: T0 + ms }));
  assert.equal(at(29_000), 'rollback');
  assert.equal(at(30_000), 'rollback', 'inclusive bound');
  assert.equal(at(30_001), 'settled');
  assert.equal(settleWindowMs(dep({ spec: { minReadySeconds: 60 } })), 60_000);
  assert.equal(at(59_000, { minReadySeconds: 60 }), 'rollback');
  assert.equal(at(61_000, { minReadySeconds: 60 }), 'settled');
  assert.equal(settleWindowMs(dep({ spec: { progressDeadlineSeconds: 20 } })), 20_000);
  assert.equal(at(21_000, { progressDeadlineSeconds: 20 }), 'settled');
  // While in progress there is no time limit (a stalled rollout stays guarded).
  assert.equal(reason(decide({ now: T0 + 3_600_000 })), 'rollback');
});

test('rollback match: a completed-looking status for an older generation, or old pods still present, keeps the rollout guarded', () => {
  const stale = dep({ complete: true, completedAt: T0, observed: 1 });
  assert.equal(reason(decide({ deployment: stale, replicaSets: finished(), now: T0 + 600_000 })), 'rollback');
  const draining = [rs(H1, 1, 0, 0), rs(H2, 2, 3, 3)];
  draining[0]!.status = { replicas: 1 };
  assert.equal(reason(decide({ deployment: dep({ complete: true, completedAt: T0 }), replicaSets: draining, now: T0 + 600_000 })), 'rollback');
});

test('rollback match: nothing to return to, a pending rollback, or a rollout that is itself an auto-rollback are left alone', () => {
  assert.equal(reason(decide({ replicaSets: [rs(H2, 1, 3, 1)] })), 'no_previous_revision');
  assert.equal(reason(decide({ deployment: dep({ annotations: { [ROLLBACK_ANNOTATION]: '1' } }) })), 'rollback_pending');
  assert.equal(reason(decide({ deployment: dep({ annotations: { [AUTO_ROLLBACK_TO_ANNOTATION]: H2 } }) })), 'is_auto_rollback');
  assert.equal(reason(decide({ deployment: dep({ annotations: { [AUTO_ROLLBACK_TO_ANNOTATION]: H0 } }) })), 'rollback', 'an older auto-rollback does not protect a new rollout');
  // ReplicaSets of another owner do not count, even with the same hash.
  assert.equal(reason(decide({ replicaSets: [rs(H1, 1, 3, 3, 'other'), rs(H2, 2, 1, 0, 'other')] })), 'no_new_revision');
});

test('the default vigil-pods scrape job labels series with pod_template_hash, the label the matcher reads', () => {
  const job = embeddedDefaultConfig(9090).scrapeConfigs.find((c) => c.jobName === 'vigil-pods');
  assert.ok(job !== undefined);
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${H2}-abcde`,
      namespace: 'shop',
      labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: H2 },
      annotations: { 'prometheus.io/scrape': 'true', [HOST_PORTS_ANNOTATION]: '{"http":31001}' },
    },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x', ports: [{ name: 'http' }] }] },
    status: { phase: 'Running', podIP: '10.0.0.5' },
  };
  const [target] = targetsFromGroup(podGroup(p), job).active;
  assert.ok(target !== undefined);
  const labels: Record<string, string> = { namespace: target.labels.get('namespace') ?? '', pod_template_hash: target.labels.get('pod_template_hash') ?? '' };
  assert.deepEqual(labels, { namespace: 'shop', pod_template_hash: H2 });
  assert.equal(reason(decide({ labels })), 'rollback');
});
