/**
 * Service account tokens on request: the handler of
 * `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token` (Kubernetes'
 * TokenRequest). The HTTP layer has already authorized the caller for
 * `create serviceaccounts/token` and checked that the service account exists.
 *
 * The token is for the user `system:serviceaccount:<ns>:<name>` with the
 * groups `system:serviceaccounts` and `system:serviceaccounts:<ns>`, lives
 * `spec.expirationSeconds` (default 3600, between 600 and 86400), and when
 * `spec.boundObjectRef` names a pod it is bound to that pod: the pod must
 * exist (with that uid, when given) and run as this service account, and the
 * token stops working when the pod is gone. A node must always name the pod,
 * and the pod must be bound to that node.
 */
import { ApiError, badRequest } from '../api/api_error.js';
import type { ApiUser, TokenRequestFn } from '../api/http.js';
import type { Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { nodeNameOf } from './node_authorizer.js';
import { serviceAccountUser } from './rbac_rules.js';
import type { BoundPod, TokenAuthority } from './tokens.js';

export const MIN_SA_TOKEN_SECONDS = 600;
export const MAX_SA_TOKEN_SECONDS = 86_400;
export const DEFAULT_SA_TOKEN_SECONDS = 3600;

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod a request binds to, checked; undefined when none is named. */
async function boundPod(registry: Registry, caller: ApiUser, ns: string, sa: string, spec: Record<string, unknown>): Promise<BoundPod | undefined> {
  const ref = spec.boundObjectRef;
  const node = nodeNameOf(caller);
  if (ref === undefined || ref === null) {
    if (node !== null) throw new ApiError(403, 'Forbidden', `node "${node}" must name the pod a service account token is for (spec.boundObjectRef)`);
    return undefined;
  }
  if (!isObj(ref) || ref.kind !== 'Pod' || typeof ref.name !== 'string' || ref.name === '') throw badRequest('spec.boundObjectRef: expected {kind: "Pod", name, uid?}');
  const pod = (await registry.get(PODS, ns, ref.name)) as Pod;
  const uid = pod.metadata.uid ?? '';
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) throw new ApiError(409, 'Conflict', `pod "${ns}/${ref.name}" has uid ${uid}, not ${ref.uid}`);
  const podSa = pod.spec.serviceAccountName !== undefined && pod.spec.serviceAccountName !== '' ? pod.spec.serviceAccountName : 'default';
  if (podSa !== sa) throw new ApiError(403, 'Forbidden', `pod "${ns}/${ref.name}" runs as service account "${podSa}", not "${sa}"`);
  if (node !== null && pod.spec.nodeName !== node) throw new ApiError(403, 'Forbidden', `pod "${ns}/${ref.name}" is not bound to node "${node}"`);
  return { namespace: ns, name: ref.name, uid };
}

/** The TokenRequestFn for `tokens`. */
export function tokenRequestHandler(registry: Registry, tokens: TokenAuthority, now: () => number = Date.now): TokenRequestFn {
  return async (caller, ns, name, body) => {
    const spec = isObj(body) && isObj(body.spec) ? body.spec : {};
    const exp = spec.expirationSeconds ?? DEFAULT_SA_TOKEN_SECONDS;
    if (typeof exp !== 'number' || !Number.isInteger(exp) || exp < MIN_SA_TOKEN_SECONDS)
      throw badRequest(`spec.expirationSeconds: expected an integer of at least ${MIN_SA_TOKEN_SECONDS}, got ${JSON.stringify(exp)}`);
    const ttl = Math.min(exp, MAX_SA_TOKEN_SECONDS);
    const pod = await boundPod(registry, caller, ns, name, spec);
    const token = tokens.issueToken({ name: serviceAccountUser(ns, name), groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`] }, ttl, pod);
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace: ns },
      spec: { expirationSeconds: ttl, ...(pod !== undefined ? { boundObjectRef: { kind: 'Pod', name: pod.name, uid: pod.uid } } : {}) },
      status: { token, expirationTimestamp: new Date(now() + ttl * 1000).toISOString().replace(/\.[0-9]{3}Z$/, 'Z') },
    };
  };
}
