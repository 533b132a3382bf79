import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldErrorMessage } from './api_error.js';
import { applyDefaults } from './defaults.js';
import { RESOURCES, type ResourceInfo } from './resources.js';
import { validateObject } from './validation.js';

const R = (kind: string): ResourceInfo => RESOURCES.find((r) => r.kind === kind)!;

/** Defaults then validates, returning "field: message" lines. */
function problems(kind: string, obj: unknown, isCreate = true): string[] {
  const o = structuredClone(obj);
  applyDefaults(kind, o);
  return validateObject(R(kind), o, isCreate).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
}

const container = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'node app.js', ...extra });
const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = { name: 'p' }) => ({ metadata: meta, spec: { containers: [container()], ...spec } });

test('validation accepts well-formed objects of every kind', () => {
  const ok: [string, unknown][] = [
    ['Namespace', { metadata: { name: 'team-a' } }],
    ['Node', { metadata: { name: 'node-1.example', labels: { 'topology.kubernetes.io/zone': 'z1' } }, spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } }],
    [
      'Pod',
      pod({
        containers: [
          container({
            env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } }],
            ports: [{ name: 'http', containerPort: 0 }],
            resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
            readinessProbe: { tcpSocket: { port: 8080 }, successThreshold: 2 },
            startupProbe: { exec: { command: ['true'] } },
            volumeMounts: [{ name: 'cfg', mountPath: 'config' }],
          }),
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }],
        tolerations: [{ operator: 'Exists' }, { key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoExecute', tolerationSeconds: 30 }],
        nodeSelector: { disk: 'ssd' },
      }),
    ],
    [
      'Deployment',
      {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container()] } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '0%' } },
        },
      },
    ],
    ['Service', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'm', port: 9090 }] } }],
    ['ConfigMap', { metadata: { name: 'c' }, data: { 'app.yaml': 'x: 1', '.env': 'A=1' } }],
    ['Secret', { metadata: { name: 's' }, data: { password: 'aHVudGVyMg==' }, stringData: { token: 'plain' } }],
    ['ResourceQuota', { metadata: { name: 'q' }, spec: { hard: { pods: '10', cpu: '4', 'requests.memory': '8Gi', 'limits.cpu': '8' } } }],
    ['Event', { metadata: { name: 'web.1' }, involvedObject: { kind: 'Pod', name: 'web' }, reason: 'FailedScheduling', message: '0/3 nodes are available', type: 'Warning' }],
    ['Lease', { metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } }],
    ['Endpoints', { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 8080 }] }] }],
  ];
  for (const [kind, obj] of ok) assert.deepEqual(problems(kind, obj), [], kind);
});

test('validation reports pod problems with Kubernetes field paths and wording', () => {
  assert.deepEqual(problems('Pod', { metadata: { name: 'p' }, spec: { containers: [] } }), ['spec.containers: Required value']);
  assert.deepEqual(
    problems(
      'Pod',
      pod({
        containers: [
          container({ ports: [{ containerPort: 70000 }], resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }),
          container({ env: [{ name: '1BAD', value: 'x' }] }),
        ],
      }),
    ),
    [
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be less than or equal to 65535',
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      `spec.containers[1].env[0].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit`,
      'spec.containers[1].name: Duplicate value: "app"',
    ],
  );
  assert.deepEqual(problems('Pod', pod({ containers: [container({ livenessProbe: { periodSeconds: 5 } })] })), [
    'spec.containers[0].livenessProbe: Required value: must specify a handler type',
  ]);
  assert.deepEqual(problems('Pod', pod({ containers: [container({ livenessProbe: { exec: { command: ['x'] }, successThreshold: 2 } })] })), [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ]);
  assert.deepEqual(problems('Pod', pod({ containers: [container({ volumeMounts: [{ name: 'nope', mountPath: '../etc' }] })] })), [
    'spec.containers[0].volumeMounts[0].name: Invalid value: "nope": volume not found',
    `spec.containers[0].volumeMounts[0].mountPath: Invalid value: "../etc": must be a relative path inside the pod directory, without '..'`,
  ]);
  assert.deepEqual(problems('Pod', pod({ containers: [container({ resources: { requests: { gpu: '1', memory: 'lots' } } })] })), [
    'spec.containers[0].resources.requests[gpu]: Unsupported value: "gpu": supported values: "cpu", "memory"',
    `spec.containers[0].resources.requests[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
  ]);
  assert.deepEqual(problems('Pod', pod({ tolerations: [{ key: 'a', operator: 'Exists', value: 'v' }] })), [
    `spec.tolerations[0].operator: Invalid value: "Exists": value must be empty when \`operator\` is 'Exists'`,
  ]);
  assert.deepEqual(problems('Pod', { metadata: {}, spec: { containers: [container()] } }), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(problems('Pod', { metadata: { generateName: 'web-' }, spec: { containers: [container()] } }), []);
  assert.deepEqual(problems('Pod', { metadata: { generateName: 'web-' }, spec: { containers: [container()] } }, false), [
    'metadata.name: Required value: name or generateName is required',
  ]);
});

test('validation reports deployment problems', () => {
  const d = (spec: Record<string, unknown>) => ({
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container()] } }, ...spec },
  });
  assert.deepEqual(problems('Deployment', d({ replicas: -1 })), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(problems('Deployment', d({ replicas: 1.5 })), ['spec.replicas: Invalid value: 1.5: must be an integer']);
  assert.deepEqual(problems('Deployment', d({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } })), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
  ]);
  assert.deepEqual(problems('Deployment', d({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%' } } })), [
    'spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%',
  ]);
  assert.deepEqual(problems('Deployment', d({ strategy: { type: 'Recreate', rollingUpdate: {} } })), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  assert.deepEqual(problems('Deployment', d({ minReadySeconds: 700 })), ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds']);
  assert.deepEqual(problems('Deployment', d({ selector: {} })), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  const wrongPolicy = d({});
  (wrongPolicy.spec.template.spec as Record<string, unknown>).restartPolicy = 'Never';
  assert.deepEqual(problems('Deployment', wrongPolicy), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
});

test('validation reports metadata, service, quota, secret and node problems', () => {
  assert.deepEqual(problems('ConfigMap', { metadata: { name: 'c', labels: { '-bad': 'ok', good: 'bad value' } } }), [
    `metadata.labels: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc')`,
    `metadata.labels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345')`,
  ]);
  assert.deepEqual(problems('Service', { metadata: { name: 'web.x' }, spec: { ports: [{ port: 80 }, { port: 80, name: 'b' }] } }), [
    `metadata.name: Invalid value: "web.x": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc')`,
    'spec.ports[0].name: Required value',
    'spec.ports[1].port: Duplicate value: 80',
  ]);
  assert.deepEqual(problems('ResourceQuota', { metadata: { name: 'q' }, spec: { hard: { gpus: '1', pods: '1.5' } } }), [
    'spec.hard[gpus]: Unsupported value: "gpus": supported values: "pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory"',
    'spec.hard[pods]: Invalid value: "1.5": must be an integer',
  ]);
  assert.deepEqual(problems('Secret', { metadata: { name: 's' }, data: { 'a/b': 'eA==' } }), [
    `data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
  ]);
  assert.deepEqual(problems('Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }), [
    'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
  assert.deepEqual(problems('Pod', 'not an object'), [': Invalid value: "not an object": must be a JSON object']);
  assert.deepEqual(
    problems('ConfigMap', {
      metadata: {
        name: 'c',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'X', name: 'a', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'X', name: 'b', uid: '2', controller: true },
        ],
      },
    }),
    ['metadata.ownerReferences: Invalid value: 2: Only one reference can have Controller set to true'],
  );
});

test('defaults fill Kubernetes default values without overriding given ones', () => {
  const d: Record<string, unknown> = {
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { spec: { containers: [{ name: 'c', image: 'x', readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: '1' } } }] } },
      strategy: { rollingUpdate: { maxSurge: 2 } },
    },
  };
  applyDefaults('Deployment', d);
  const spec = d.spec as Record<string, unknown>;
  assert.equal(spec.replicas, 1);
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.deepEqual(spec.strategy, { rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' }, type: 'RollingUpdate' });
  const c = ((spec.template as Record<string, Record<string, unknown[]>>).spec!.containers![0] as Record<string, Record<string, unknown>>);
  assert.deepEqual(c.readinessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });
  const svc: Record<string, unknown> = { spec: { ports: [{ port: 80 }] } };
  applyDefaults('Service', svc);
  assert.deepEqual(svc.spec, { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP' });
});
