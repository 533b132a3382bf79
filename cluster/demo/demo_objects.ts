/**
 * The cluster objects of the quick-start demo and their idempotent creation:
 *
 *   Namespace  demo
 *   Deployment demo/web   3 replicas of the sample app (sample_app.ts run with this
 *                         Node.js), annotated for scraping by the `vigil-pods` job and
 *                         bounded to [2, 6] replicas for the autoscaling rules
 *   Service    demo/web   port `servicePort` → the pods' `http` port; every node agent
 *                         proxies it on 127.0.0.1:`servicePort`
 *
 * `ensureDemoObjects` creates what is missing and leaves what exists alone (a
 * restarted server reuses the Deployment, with the replica count the rules gave
 * it), so it can run on every start. Objects carry the label `app.vigil.dev/demo`.
 */
import { fileURLToPath } from 'node:url';
import { ApiClientError, type ApiClient, type ResourceRef, SERVICES } from '../agent/api_client.js';
import type { Deployment, Namespace, Service } from '../api/objects.js';
import { MAX_REPLICAS_ANNOTATION, MIN_REPLICAS_ANNOTATION } from '../actions/action_executor.js';
import { DEMO_DEPLOYMENT, DEMO_NAMESPACE } from '../../cmd/config.js';

export { DEMO_DEPLOYMENT, DEMO_NAMESPACE };

/** Default Service port of the demo (its proxy listens on it on every node; below the agents' default pod port range 30000-32767). */
export const DEMO_SERVICE_PORT = 29080;
export const DEMO_REPLICAS = 3;
export const DEMO_MIN_REPLICAS = 2;
export const DEMO_MAX_REPLICAS = 6;
/** Label on every demo object. */
export const DEMO_LABEL = 'app.vigil.dev/demo';

export const NAMESPACES: ResourceRef = { prefix: '/api/v1', resource: 'namespaces' };
export const DEPLOYMENTS = (namespace: string): ResourceRef => ({ prefix: '/apis/apps/v1', resource: 'deployments', namespace });

/** The compiled sample app next to this module (dist/cluster/demo/sample_app.js). */
export const SAMPLE_APP = fileURLToPath(new URL('./sample_app.js', import.meta.url));

export function demoNamespace(): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE, labels: { [DEMO_LABEL]: 'true' } } } as Namespace;
}

export function demoDeployment(node: string = process.execPath, app: string = SAMPLE_APP): Deployment {
  const labels = { app: DEMO_DEPLOYMENT };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: DEMO_DEPLOYMENT,
      namespace: DEMO_NAMESPACE,
      labels: { ...labels, [DEMO_LABEL]: 'true' },
      annotations: { [MIN_REPLICAS_ANNOTATION]: String(DEMO_MIN_REPLICAS), [MAX_REPLICAS_ANNOTATION]: String(DEMO_MAX_REPLICAS) },
    },
    spec: {
      replicas: DEMO_REPLICAS,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: 'vigil-demo/sample-app',
              command: [node, app],
              ports: [{ name: 'http' }],
              resources: { requests: { cpu: '50m', memory: '32Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
            },
          ],
        },
      },
    },
  } as Deployment;
}

export function demoService(port: number = DEMO_SERVICE_PORT): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: DEMO_DEPLOYMENT, namespace: DEMO_NAMESPACE, labels: { [DEMO_LABEL]: 'true' } },
    spec: { selector: { app: DEMO_DEPLOYMENT }, ports: [{ name: 'http', port, targetPort: 'http' }] },
  } as Service;
}

/** What `ensureDemoObjects` did with each object. */
export interface EnsureResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/** Creates the demo's Namespace, Deployment and Service where absent (a create racing another one counts as existing). */
export async function ensureDemoObjects(client: ApiClient, servicePort: number = DEMO_SERVICE_PORT): Promise<EnsureResult> {
  const created: string[] = [];
  const existing: string[] = [];
  const ensure = async <T extends Namespace | Deployment | Service>(ref: ResourceRef, obj: T): Promise<void> => {
    const key = `${obj.kind.toLowerCase()}/${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
    if ((await client.tryGet<T>(ref, obj.metadata.name)) !== null) {
      existing.push(key);
      return;
    }
    try {
      await client.create<T>(ref, obj);
      created.push(key);
    } catch (e) {
      if (e instanceof ApiClientError && e.status === 409) existing.push(key);
      else throw e;
    }
  };
  await ensure(NAMESPACES, demoNamespace());
  await ensure(SERVICES(DEMO_NAMESPACE), demoService(servicePort));
  await ensure(DEPLOYMENTS(DEMO_NAMESPACE), demoDeployment());
  return { created, existing };
}
