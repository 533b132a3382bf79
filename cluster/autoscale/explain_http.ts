/**
 * The explain API: why a Deployment has the size it has.
 *
 *   GET /apis/autoscaling.vigil.dev/v1/namespaces/NS/explain/deployments/NAME[?limit=N]
 *
 * answers 200 with a `ScalingExplanation`: the Deployment's replica counts, the
 * ScalingPolicies targeting it (spec summary and status) and its recent
 * decisions from the `DecisionLog` (policy evaluations and alert actions),
 * oldest first, at most `limit` (the newest ones). 404 (a Kubernetes Status)
 * when the Deployment does not exist and nothing was logged for it; 503 while
 * the cluster store is not open. Served beside the cluster REST API and guarded
 * like it when the cluster part's auth is on: 401 without a credential, 403
 * unless the caller may `get` the Deployment (`deployments` in its namespace).
 */
import type { FastifyInstance } from 'fastify';
import type { AuthenticateFn, AuthorizeFn } from '../api/http.js';
import { ApiError } from '../api/api_error.js';
import type { Deployment, ScalingPolicy, ScalingPolicyStatus } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { DEPLOYMENTS } from '../controllers/resources.js';
import { SCALING_POLICIES } from './autoscaler.js';
import type { DecisionEntry, DecisionLog } from './decision_log.js';

export const EXPLAIN_PATH = '/apis/autoscaling.vigil.dev/v1/namespaces/:namespace/explain/deployments/:name';

/** The URL path of a Deployment's explanation. */
export function explainPath(namespace: string, name: string): string {
  return `/apis/autoscaling.vigil.dev/v1/namespaces/${encodeURIComponent(namespace)}/explain/deployments/${encodeURIComponent(name)}`;
}

/** A policy as the explanation shows it. */
export interface ExplainedPolicy {
  readonly name: string;
  readonly query: string;
  readonly targetPerReplica: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly tolerance: number;
  readonly stabilizationWindowSeconds: number;
  readonly dryRun: boolean;
  readonly status: ScalingPolicyStatus;
}

/** The body of the explain API. */
export interface ScalingExplanation {
  readonly kind: 'ScalingExplanation';
  readonly apiVersion: 'autoscaling.vigil.dev/v1';
  readonly target: { kind: 'Deployment'; namespace: string; name: string; exists: boolean; replicas: number | null; readyReplicas: number | null };
  readonly policies: ExplainedPolicy[];
  readonly decisions: DecisionEntry[];
}

/** Builds the explanation of `namespace/name`; throws ApiError 404 when there is nothing to explain. */
export async function explainDeployment(registry: Registry, log: DecisionLog, namespace: string, name: string, limit = 100): Promise<ScalingExplanation> {
  let d: Deployment | null = null;
  try {
    d = (await registry.get(DEPLOYMENTS, namespace, name)) as Deployment;
  } catch (e) {
    if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
  }
  const all = log.list(namespace, name);
  if (d === null && all.length === 0) throw new ApiError(404, 'NotFound', `deployments.apps "${name}" not found and no decisions recorded for it in namespace "${namespace}"`);
  const policies = ((await registry.list(SCALING_POLICIES, namespace)).items as ScalingPolicy[])
    .filter((p) => p.spec.target === name)
    .map((p) => ({
      name: p.metadata.name,
      query: p.spec.query,
      targetPerReplica: p.spec.targetPerReplica,
      minReplicas: p.spec.minReplicas ?? 1,
      maxReplicas: p.spec.maxReplicas,
      tolerance: p.spec.tolerance ?? 0.1,
      stabilizationWindowSeconds: p.spec.scaleDown?.stabilizationWindowSeconds ?? 300,
      dryRun: p.spec.dryRun === true,
      status: p.status ?? {},
    }));
  return {
    kind: 'ScalingExplanation',
    apiVersion: 'autoscaling.vigil.dev/v1',
    target: { kind: 'Deployment', namespace, name, exists: d !== null, replicas: d?.spec.replicas ?? null, readyReplicas: d === null ? null : (d.status?.readyReplicas ?? 0) },
    policies,
    decisions: all.slice(Math.max(0, all.length - limit)),
  };
}

/** Mounts the explain route on `app`. */
export async function explainPlugin(
  app: FastifyInstance,
  opts: { registry: () => Registry | null; log: DecisionLog; auth?: { authenticate: AuthenticateFn; authorize: AuthorizeFn } | null },
): Promise<void> {
  app.get(EXPLAIN_PATH, async (req, reply) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const q = req.query as { limit?: string };
    const send = (e: ApiError) => reply.code(e.code).type('application/json').send(e.toStatus());
    const auth = opts.auth ?? null;
    if (auth !== null) {
      const user = await auth.authenticate(req);
      if (user === null) return send(new ApiError(401, 'Unauthorized', 'Unauthorized'));
      if ((await auth.authorize(user, 'get', 'deployments', namespace, name)) !== 'allow')
        return send(new ApiError(403, 'Forbidden', `deployments.apps "${name}" is forbidden: User "${user.name}" cannot get resource "deployments" in API group "apps" in the namespace "${namespace}"`));
    }
    if (q.limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(q.limit)) return send(new ApiError(400, 'BadRequest', `invalid limit ${JSON.stringify(q.limit)}: must be an integer from 1 to 9999`));
    const registry = opts.registry();
    if (registry === null) return send(new ApiError(503, 'ServiceUnavailable', 'the cluster store is not open'));
    try {
      return await explainDeployment(registry, opts.log, namespace, name, q.limit === undefined ? 100 : Number(q.limit));
    } catch (e) {
      if (e instanceof ApiError) return send(e);
      throw e;
    }
  });
}
