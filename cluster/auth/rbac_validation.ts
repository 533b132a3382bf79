/**
 * Validation of the authorization kinds (Role, ClusterRole, RoleBinding,
 * ClusterRoleBinding) and of their names, called from cluster/api/validation.ts.
 * Rules and subjects are untrusted input: every list is bounded and every
 * string typed, so the authorizer only ever evaluates well-formed rules.
 */
import { isObj, type Obj, type V } from '../api/field_validator.js';

/** Most rules in one role, subjects in one binding, and entries in one rule list. */
export const MAX_RBAC_ITEMS = 256;

/** RBAC object names are path segments (Kubernetes' rule): `system:masters` and `vigil:ui-view` are fine. */
export function pathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.length > 253) errs.push('must be no more than 253 characters');
  if (/[/%]/.test(name)) errs.push("may not contain '/' or '%'");
  if (/[\x00-\x1f\x7f]/.test(name)) errs.push('may not contain control characters');
  return errs;
}

function stringList(v: V, o: Obj, key: string, path: string, required: boolean): void {
  const list = v.arr(o, key, path, required);
  if (list === undefined) return;
  if (list.length > MAX_RBAC_ITEMS) v.invalid(`${path}.${key}`, list.length, `must have at most ${MAX_RBAC_ITEMS} items`);
  list.forEach((x, i) => {
    if (typeof x !== 'string') v.invalid(`${path}.${key}[${i}]`, x, 'must be a string');
    else if (x.length > 253) v.invalid(`${path}.${key}[${i}]`, x.length, 'must be no more than 253 characters');
  });
}

function validateRules(v: V, o: Obj): void {
  const rules = v.arr(o, 'rules', '') ?? [];
  if (rules.length > MAX_RBAC_ITEMS) v.invalid('rules', rules.length, `must have at most ${MAX_RBAC_ITEMS} rules`);
  rules.forEach((r, i) => {
    const p = `rules[${i}]`;
    if (!isObj(r)) {
      v.invalid(p, r, 'must be an object');
      return;
    }
    stringList(v, r, 'verbs', p, true);
    stringList(v, r, 'apiGroups', p, false);
    stringList(v, r, 'resources', p, false);
    stringList(v, r, 'resourceNames', p, false);
    if (r.nonResourceURLs !== undefined) v.forbidden(`${p}.nonResourceURLs`, 'non-resource URLs are not supported');
    if (!Array.isArray(r.resources) || r.resources.length === 0) v.required(`${p}.resources`, 'a rule needs at least one resource');
  });
}

const SUBJECT_KINDS = ['User', 'Group', 'ServiceAccount'] as const;

function validateBinding(v: V, o: Obj, namespaced: boolean): void {
  const subjects = v.arr(o, 'subjects', '') ?? [];
  if (subjects.length > MAX_RBAC_ITEMS) v.invalid('subjects', subjects.length, `must have at most ${MAX_RBAC_ITEMS} subjects`);
  subjects.forEach((s, i) => {
    const p = `subjects[${i}]`;
    if (!isObj(s)) {
      v.invalid(p, s, 'must be an object');
      return;
    }
    const kind = v.enumField(s, 'kind', p, SUBJECT_KINDS);
    if (s.kind === undefined) v.required(`${p}.kind`);
    const name = v.str(s, 'name', p, true);
    if (name !== undefined && name.length > 253) v.invalid(`${p}.name`, name.length, 'must be no more than 253 characters');
    v.str(s, 'apiGroup', p);
    const ns = v.str(s, 'namespace', p);
    if (kind === 'ServiceAccount' && (ns === undefined || ns === '') && !namespaced) v.required(`${p}.namespace`, 'a ServiceAccount subject of a ClusterRoleBinding needs a namespace');
  });
  const ref = v.obj(o, 'roleRef', '', true);
  if (ref === undefined) return;
  if (ref.apiGroup !== 'rbac.authorization.k8s.io') v.unsupported('roleRef.apiGroup', ref.apiGroup, ['rbac.authorization.k8s.io']);
  const allowed = namespaced ? (['Role', 'ClusterRole'] as const) : (['ClusterRole'] as const);
  v.enumField(ref, 'kind', 'roleRef', allowed);
  if (ref.kind === undefined) v.required('roleRef.kind');
  const name = v.str(ref, 'name', 'roleRef', true);
  if (name !== undefined) v.syntax('roleRef.name', name, pathSegmentName(name));
}

/** Appends the problems of an RBAC object of `kind` (after the metadata checks) to `v`. */
export function validateRbacObject(v: V, kind: string, o: Obj): void {
  switch (kind) {
    case 'Role':
    case 'ClusterRole':
      validateRules(v, o);
      break;
    case 'RoleBinding':
      validateBinding(v, o, true);
      break;
    case 'ClusterRoleBinding':
      validateBinding(v, o, false);
      break;
  }
}
