/**
 * The ClusterRoles and ClusterRoleBindings every cluster starts with, named as
 * in Kubernetes where Kubernetes has them:
 *
 * - `cluster-admin`: everything. Bound to the group `system:masters` by the
 *   ClusterRoleBinding `cluster-admin` (the admin credential is in that group;
 *   the authorizer also lets `system:masters` through without looking, so a
 *   deleted binding cannot lock the administrator out).
 * - `admin`: everything inside a namespace, RBAC Roles/RoleBindings included
 *   (meant for a RoleBinding in one namespace); reads quotas.
 * - `edit`: like admin without Roles and RoleBindings.
 * - `view`: get/list/watch of the namespaced workload kinds; never Secrets
 *   (reading a Secret is as good as holding the credential in it).
 * - `vigil:ui-view`: what the web UI on the monitoring port may read without a
 *   token (`--cluster.ui-read-access`): get/list/watch of every kind but Secrets.
 * - `vigil:alert-sender`: `create` on `alerts.vigil.dev`, the Alertmanager
 *   webhook `POST /api/v1/cluster/alerts`; bind it to the token Alertmanager uses.
 *
 * `ensureDefaultRoles` creates the missing ones at start; it never overwrites
 * an object an administrator changed.
 */
import { ApiError } from '../api/api_error.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';

export const MASTERS_GROUP = 'system:masters';
export const UI_VIEW_ROLE = 'vigil:ui-view';

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/** Namespaced workload kinds users manage, by API group. */
const WORKLOADS: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'configmaps', 'serviceaccounts', 'serviceaccounts/token', 'events', 'pods/log'], verbs: WRITE },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'deployments/scale', 'replicasets/scale'], verbs: WRITE },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: WRITE },
  { apiGroups: [''], resources: ['resourcequotas', 'resourcequotas/status', 'namespaces', 'pods/status'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments/status', 'replicasets/status'], verbs: READ },
];

const SECRETS_RW: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: WRITE };

const VIEW: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/status', 'pods/log', 'services', 'endpoints', 'configmaps', 'serviceaccounts', 'events', 'resourcequotas', 'resourcequotas/status', 'namespaces', 'namespaces/status'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/status', 'replicasets', 'replicasets/status'], verbs: READ },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ },
];

/** Every served kind (and its status, and pod logs) but Secrets, by group: what the UI may read. */
function uiViewRules(): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const r of RESOURCES) {
    if (r.resource === 'secrets') continue;
    const list = byGroup.get(r.group) ?? [];
    list.push(r.resource);
    if (r.hasStatus) list.push(`${r.resource}/status`);
    // The pods page's logs tail (Kubernetes' `view` reads logs too).
    if (r.resource === 'pods') list.push('pods/log');
    byGroup.set(r.group, list);
  }
  return [...byGroup].map(([g, resources]) => ({ apiGroups: [g], resources, verbs: [...READ] }));
}

function clusterRole(name: string, rules: readonly PolicyRule[]): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules: rules.map((r) => structuredClone(r)),
  };
}

/** The default ClusterRoles (fresh copies). */
export function defaultClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    clusterRole('admin', [...WORKLOADS, SECRETS_RW, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: WRITE }]),
    clusterRole('edit', [...WORKLOADS, SECRETS_RW]),
    clusterRole('view', VIEW),
    clusterRole(UI_VIEW_ROLE, uiViewRules()),
    clusterRole('vigil:alert-sender', [{ apiGroups: ['vigil.dev'], resources: ['alerts'], verbs: ['create'] }]),
  ];
}

/** The built-in rules of `vigil:ui-view` (used directly for the anonymous UI user). */
export const UI_VIEW_RULES: readonly PolicyRule[] = uiViewRules();

/** The default ClusterRoleBindings (fresh copies). */
export function defaultClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: MASTERS_GROUP }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    },
  ];
}

/** Creates the default roles and bindings that do not exist yet; returns how many it created. */
export async function ensureDefaultRoles(registry: Registry): Promise<number> {
  const roles = RESOURCES.find((r) => r.resource === 'clusterroles')!;
  const bindings = RESOURCES.find((r) => r.resource === 'clusterrolebindings')!;
  let created = 0;
  const objs: [typeof roles, ClusterRole | ClusterRoleBinding][] = [
    ...defaultClusterRoles().map((o): [typeof roles, ClusterRole] => [roles, o]),
    ...defaultClusterRoleBindings().map((o): [typeof roles, ClusterRoleBinding] => [bindings, o]),
  ];
  for (const [info, o] of objs) {
    try {
      await registry.create(info, '', o);
      created++;
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
  return created;
}
