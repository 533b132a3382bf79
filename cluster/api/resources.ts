/**
 * The resource table: every kind the API serves, with its REST name, API
 * group/version, scope and store key layout. The HTTP layer routes by it, the
 * registry stores by it, and `vigil ctl` resolves names and short names by it.
 *
 * Store keys: `/registry/<resource>/<namespace>/<name>` for namespaced kinds and
 * `/registry/<resource>/<name>` for cluster-scoped ones (Kubernetes' layout), so
 * one prefix lists a namespace or the whole cluster.
 */

export interface ResourceInfo {
  /** Plural REST name, e.g. `deployments`. Unique across groups here. */
  readonly resource: string;
  readonly kind: string;
  readonly listKind: string;
  /** '' for the core group (`/api/v1`), else e.g. `apps` (`/apis/apps/v1`). */
  readonly group: string;
  readonly version: string;
  readonly namespaced: boolean;
  /** Whether `spec` exists and `/status` is a separate subresource (status ignored on main updates). */
  readonly hasStatus: boolean;
  readonly shortNames: readonly string[];
}

function r(
  resource: string,
  kind: string,
  group: string,
  namespaced: boolean,
  hasStatus: boolean,
  shortNames: string[],
): ResourceInfo {
  return { resource, kind, listKind: `${kind}List`, group, version: 'v1', namespaced, hasStatus, shortNames };
}

/** Every served resource. */
export const RESOURCES: readonly ResourceInfo[] = [
  r('namespaces', 'Namespace', '', false, true, ['ns']),
  r('nodes', 'Node', '', false, true, ['no']),
  r('pods', 'Pod', '', true, true, ['po']),
  r('services', 'Service', '', true, false, ['svc']),
  r('endpoints', 'Endpoints', '', true, false, ['ep']),
  r('configmaps', 'ConfigMap', '', true, false, ['cm']),
  r('secrets', 'Secret', '', true, false, []),
  r('resourcequotas', 'ResourceQuota', '', true, true, ['quota']),
  r('events', 'Event', '', true, false, ['ev']),
  r('deployments', 'Deployment', 'apps', true, true, ['deploy']),
  r('replicasets', 'ReplicaSet', 'apps', true, true, ['rs']),
  r('leases', 'Lease', 'coordination.k8s.io', true, false, []),
  r('scalingpolicies', 'ScalingPolicy', 'autoscaling.vigil.dev', true, true, ['sp']),
  r('serviceaccounts', 'ServiceAccount', '', true, false, ['sa']),
  r('roles', 'Role', 'rbac.authorization.k8s.io', true, false, []),
  r('clusterroles', 'ClusterRole', 'rbac.authorization.k8s.io', false, false, []),
  r('rolebindings', 'RoleBinding', 'rbac.authorization.k8s.io', true, false, []),
  r('clusterrolebindings', 'ClusterRoleBinding', 'rbac.authorization.k8s.io', false, false, []),
];

/** `apiVersion` of a resource's objects: `v1` or `apps/v1`. */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** `deployments.apps` / `pods`: the name Kubernetes' messages use. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

/** `Deployment.apps` / `Pod`: the kind name Kubernetes' "is invalid" messages use. */
export function qualifiedKind(info: ResourceInfo): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}

const byResource = new Map(RESOURCES.map((i) => [`${i.group}/${i.resource}`, i]));
const byKind = new Map(RESOURCES.map((i) => [`${apiVersionOf(i)}/${i.kind}`, i]));

/** The resource served at `/api[s]/<group>/<version>/<resource>`; undefined when unknown. */
export function lookupResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  const i = byResource.get(`${group}/${resource}`);
  return i !== undefined && i.version === version ? i : undefined;
}

/** The resource of an object by its `apiVersion` and `kind`; undefined when unknown. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/**
 * Resolves what a user typed (`po`, `pod`, `pods`, `Pod`, `deploy`, `deployments.apps`)
 * to a resource; undefined when nothing matches. For `vigil ctl`.
 */
export function resolveResourceName(name: string): ResourceInfo | undefined {
  const n = name.toLowerCase();
  for (const i of RESOURCES) {
    if (n === i.resource || n === i.kind.toLowerCase() || n === qualifiedResource(i) || i.shortNames.includes(n)) return i;
  }
  return undefined;
}

/** The store key of one object. `namespace` is ignored for cluster-scoped kinds. */
export function storeKey(info: ResourceInfo, namespace: string, name: string): string {
  return info.namespaced ? `/registry/${info.resource}/${namespace}/${name}` : `/registry/${info.resource}/${name}`;
}

/** The store prefix listing a namespace ('' = all namespaces) or a cluster-scoped kind. */
export function storePrefix(info: ResourceInfo, namespace: string): string {
  return info.namespaced && namespace !== '' ? `/registry/${info.resource}/${namespace}/` : `/registry/${info.resource}/`;
}
