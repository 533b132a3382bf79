/**
 * The matching rules of RBAC, as Kubernetes defines them, as pure functions:
 * whether a PolicyRule covers a request and whether a binding's Subject is
 * the caller. The authorizer (rbac_authorizer.ts) only collects the rules that
 * apply and asks these.
 *
 * - verbs, apiGroups, resources: `*` matches anything; a resource `pods/*`
 *   matches every subresource of pods, `*\/status` the status of every kind;
 *   plain `pods` matches the pods resource only, not `pods/status`.
 * - resourceNames: when non-empty, only requests naming one of them match
 *   (so such a rule never allows list, watch or an unnamed create).
 * - Subjects: User and Group by exact name; ServiceAccount as the user
 *   `system:serviceaccount:<namespace>:<name>`, its namespace defaulting to
 *   the binding's.
 */
import type { ApiUser } from '../api/http.js';
import type { PolicyRule, Subject } from '../api/objects.js';
import { RESOURCES } from '../api/resources.js';

/** One request as the authorizers see it. */
export interface RequestAttributes {
  readonly verb: string;
  /** API group of the resource ('' = core). */
  readonly apiGroup: string;
  /** Plural resource, with `/sub` for subresources: `pods`, `pods/status`, `serviceaccounts/token`. */
  readonly resource: string;
  /** '' for cluster-scoped kinds and all-namespace requests. */
  readonly namespace: string;
  /** '' when the request names no object. */
  readonly name: string;
}

/** Pseudo-resources that are not stored kinds but are authorized like them. */
export const PSEUDO_RESOURCE_GROUPS: Readonly<Record<string, string>> = { alerts: 'vigil.dev', accessreviews: 'authorization.vigil.dev' };

/** The API group of a resource name (subresource suffix ignored); '' when unknown or core. */
export function apiGroupOf(resource: string): string {
  const base = resource.split('/')[0] ?? '';
  const pseudo = PSEUDO_RESOURCE_GROUPS[base];
  if (pseudo !== undefined) return pseudo;
  return RESOURCES.find((r) => r.resource === base)?.group ?? '';
}

function listHas(list: readonly string[] | undefined, value: string): boolean {
  if (list === undefined) return false;
  for (const x of list) if (x === '*' || x === value) return true;
  return false;
}

function resourceMatches(patterns: readonly string[] | undefined, resource: string): boolean {
  if (patterns === undefined) return false;
  const slash = resource.indexOf('/');
  const base = slash < 0 ? resource : resource.slice(0, slash);
  const sub = slash < 0 ? '' : resource.slice(slash + 1);
  for (const p of patterns) {
    if (p === '*' || p === resource) return true;
    if (sub !== '' && (p === `${base}/*` || p === `*/${sub}`)) return true;
  }
  return false;
}

/** Whether `rule` allows the request `a`. */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!listHas(rule.verbs, a.verb)) return false;
  // Kubernetes requires apiGroups on resource rules; an omitted list matches no group.
  if (!listHas(rule.apiGroups, a.apiGroup)) return false;
  if (!resourceMatches(rule.resources, a.resource)) return false;
  const names = rule.resourceNames;
  if (names !== undefined && names.length > 0) return a.name !== '' && names.includes(a.name);
  return true;
}

/** Whether any of `rules` allows `a`. */
export function rulesAllow(rules: readonly PolicyRule[] | undefined, a: RequestAttributes): boolean {
  if (rules === undefined) return false;
  for (const r of rules) if (ruleAllows(r, a)) return true;
  return false;
}

/** The user name of a service account. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Whether `subject` of a binding in `bindingNamespace` ('' for a ClusterRoleBinding) is `user`. */
export function subjectMatches(subject: Subject, user: ApiUser, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace !== undefined && subject.namespace !== '' ? subject.namespace : bindingNamespace;
      return ns !== '' && user.name === serviceAccountUser(ns, subject.name);
    }
    default:
      return false;
  }
}
