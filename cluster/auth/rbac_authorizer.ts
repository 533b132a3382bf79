/**
 * `RbacAuthorizer`: decides requests from the Roles, ClusterRoles,
 * RoleBindings and ClusterRoleBindings in the registry, as Kubernetes' RBAC
 * authorizer does: a request is allowed when some ClusterRoleBinding, or some
 * RoleBinding in the request's namespace, names the caller as a subject and
 * refers to a role with a rule covering the request. A RoleBinding may refer
 * to a ClusterRole (its rules then hold in that namespace only). Nothing
 * denies: RBAC only adds permissions.
 *
 * The four kinds are cached in memory and reloaded (one list each) when the
 * cache is older than `ttlMs` or was invalidated; the server invalidates it
 * after every successful write to an RBAC object (cluster_auth.ts), so a
 * change made through this server holds from the next request on, and one made
 * through another server on the same store within `ttlMs`. Concurrent reloads
 * share one list.
 */
import type { ApiUser } from '../api/http.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import { type RequestAttributes, rulesAllow, subjectMatches } from './rbac_rules.js';

export interface RbacAuthorizerOptions {
  /** Longest time a cached policy is used without reloading. Default 2000 ms. */
  ttlMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

interface Policy {
  /** Roles by `<namespace>/<name>`. */
  roles: Map<string, Role>;
  clusterRoles: Map<string, ClusterRole>;
  /** RoleBindings by namespace. */
  roleBindings: Map<string, RoleBinding[]>;
  clusterRoleBindings: ClusterRoleBinding[];
  loadedAt: number;
}

const info = (resource: string) => RESOURCES.find((r) => r.resource === resource)!;

export class RbacAuthorizer {
  private readonly registry: Registry;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private policy: Policy | null = null;
  private loading: Promise<Policy> | null = null;
  /** Bumped by `invalidate`; a load that started before the bump is not trusted after it. */
  private generation = 0;

  constructor(registry: Registry, opts: RbacAuthorizerOptions = {}) {
    this.registry = registry;
    this.ttlMs = opts.ttlMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  /** Forget the cached policy: the next decision reloads it. */
  invalidate(): void {
    this.generation++;
    this.policy = null;
  }

  private async load(): Promise<Policy> {
    const gen = this.generation;
    const [roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all([
      this.registry.list(info('roles'), ''),
      this.registry.list(info('clusterroles'), ''),
      this.registry.list(info('rolebindings'), ''),
      this.registry.list(info('clusterrolebindings'), ''),
    ]);
    const p: Policy = { roles: new Map(), clusterRoles: new Map(), roleBindings: new Map(), clusterRoleBindings: [], loadedAt: this.now() };
    for (const o of roles.items as Role[]) p.roles.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    for (const o of clusterRoles.items as ClusterRole[]) p.clusterRoles.set(o.metadata.name, o);
    for (const o of roleBindings.items as RoleBinding[]) {
      const ns = o.metadata.namespace ?? '';
      const list = p.roleBindings.get(ns) ?? [];
      list.push(o);
      p.roleBindings.set(ns, list);
    }
    p.clusterRoleBindings = clusterRoleBindings.items as ClusterRoleBinding[];
    if (gen === this.generation) this.policy = p;
    return p;
  }

  private async current(): Promise<Policy> {
    const p = this.policy;
    if (p !== null && this.now() - p.loadedAt < this.ttlMs) return p;
    if (this.loading === null) {
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  /** Whether the policy allows `user` the request `a`. Throws only when the registry fails. */
  async allows(user: ApiUser, a: RequestAttributes): Promise<boolean> {
    const p = await this.current();
    for (const b of p.clusterRoleBindings) {
      if (b.roleRef.kind !== 'ClusterRole' || !(b.subjects ?? []).some((s) => subjectMatches(s, user, ''))) continue;
      if (rulesAllow(p.clusterRoles.get(b.roleRef.name)?.rules, a)) return true;
    }
    if (a.namespace === '') return false;
    for (const b of p.roleBindings.get(a.namespace) ?? []) {
      if (!(b.subjects ?? []).some((s) => subjectMatches(s, user, a.namespace))) continue;
      const rules = b.roleRef.kind === 'ClusterRole' ? p.clusterRoles.get(b.roleRef.name)?.rules : p.roles.get(`${a.namespace}/${b.roleRef.name}`)?.rules;
      if (rulesAllow(rules, a)) return true;
    }
    return false;
  }
}
