/**
 * `NodeAuthorizer`: what a node agent may do, decided from the pods bound to
 * it (Kubernetes' Node authorizer, without its graph). A node is the user
 * `system:node:<name>` in the group `system:nodes`. It may:
 *
 * - get, create, update and patch its own Node (and `nodes/status`); get, list and watch Nodes;
 * - list and watch pods only with the field selector `spec.nodeName=<itself>`;
 *   get, update, patch and delete (graceful-deletion completion) pods bound to it, and their status;
 * - get (or list/watch by `metadata.name`) the Secrets, ConfigMaps and
 *   ServiceAccounts its pods refer to, and request tokens for those ServiceAccounts;
 * - get, list and watch Services and Endpoints (the Service proxy needs them all);
 * - create, update and patch Events; create access reviews (to check who may read its pods' logs);
 * - get, create, update and patch its own Lease in `kube-node-lease`.
 *
 * Anything else gets no opinion here (RBAC still may allow it). The pods bound
 * to a node are cached per node for `ttlMs`; a request the cache would refuse
 * reloads it once first (at most every `minReloadMs` per node, so a node
 * flooding refused requests cannot turn each into a store list).
 */
import type { ApiUser, RequestScope } from '../api/http.js';
import { parseFieldSelector } from '../api/field_selector.js';
import type { Pod } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import { RESOURCES } from '../api/resources.js';
import type { RequestAttributes } from './rbac_rules.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/** The node name of a node user; null for anybody else. */
export function nodeNameOf(user: ApiUser): string | null {
  if (!user.name.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return null;
  const n = user.name.slice(NODE_USER_PREFIX.length);
  return n === '' ? null : n;
}

export interface NodeAuthorizerOptions {
  /** How long a node's pod list is trusted. Default 2000 ms. */
  ttlMs?: number;
  /** Least time between two reloads of one node's pods. Default 200 ms. */
  minReloadMs?: number;
  now?: () => number;
}

interface NodePods {
  pods: Pod[];
  loadedAt: number;
}

const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
const READ = new Set(['get', 'list', 'watch']);

/** The pod's references of `kind` in its namespace. */
function references(p: Pod, kind: 'secrets' | 'configmaps' | 'serviceaccounts'): string[] {
  const out: string[] = [];
  if (kind === 'serviceaccounts') {
    out.push(typeof p.spec.serviceAccountName === 'string' && p.spec.serviceAccountName !== '' ? p.spec.serviceAccountName : 'default');
    return out;
  }
  for (const v of p.spec.volumes ?? []) {
    if (kind === 'secrets' && v.secret) out.push(v.secret.secretName);
    if (kind === 'configmaps' && v.configMap) out.push(v.configMap.name);
  }
  for (const c of p.spec.containers ?? [])
    for (const e of c.env ?? []) {
      if (kind === 'secrets' && e.valueFrom?.secretKeyRef) out.push(e.valueFrom.secretKeyRef.name);
      if (kind === 'configmaps' && e.valueFrom?.configMapKeyRef) out.push(e.valueFrom.configMapKeyRef.name);
    }
  return out;
}

/** Whether a list/watch selects exactly the pods of `node`. */
function selectsNode(scope: RequestScope | undefined, node: string): boolean {
  const text = scope?.fieldSelector ?? '';
  if (text === '') return false;
  try {
    const sel = parseFieldSelector(text);
    // The selector must require spec.nodeName=<node>: a probe pod on another node must not match.
    return sel.matches({ spec: { nodeName: node } }) && !sel.matches({ spec: { nodeName: `${node}-not` } }) && !sel.matches({ spec: {} });
  } catch {
    return false;
  }
}

export class NodeAuthorizer {
  private readonly registry: Registry;
  private readonly ttlMs: number;
  private readonly minReloadMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, NodePods>();

  constructor(registry: Registry, opts: NodeAuthorizerOptions = {}) {
    this.registry = registry;
    this.ttlMs = opts.ttlMs ?? 2000;
    this.minReloadMs = opts.minReloadMs ?? 200;
    this.now = opts.now ?? Date.now;
  }

  private async load(node: string): Promise<NodePods> {
    const list = await this.registry.list(PODS, '', { fieldSelector: parseFieldSelector(`spec.nodeName=${node}`) });
    const np = { pods: list.items as Pod[], loadedAt: this.now() };
    this.cache.set(node, np);
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value ?? '');
    return np;
  }

  /** Pod-dependent decisions: evaluated on the cached pods, then once more on fresh ones if refused. */
  private async withPods(node: string, decide: (pods: readonly Pod[]) => boolean): Promise<boolean> {
    let np = this.cache.get(node);
    if (np === undefined || this.now() - np.loadedAt >= this.ttlMs) np = await this.load(node);
    if (decide(np.pods)) return true;
    if (this.now() - np.loadedAt < this.minReloadMs) return false;
    return decide((await this.load(node)).pods);
  }

  /** 'allow' or 'no-opinion' for a node user (`nodeNameOf(user)` non-null); anybody else gets 'no-opinion'. */
  async decide(user: ApiUser, a: RequestAttributes, scope?: RequestScope): Promise<'allow' | 'no-opinion'> {
    const node = nodeNameOf(user);
    if (node === null) return 'no-opinion';
    return (await this.allows(node, a, scope)) ? 'allow' : 'no-opinion';
  }

  private async allows(node: string, a: RequestAttributes, scope: RequestScope | undefined): Promise<boolean> {
    const v = a.verb;
    switch (a.resource) {
      case 'nodes':
        if (READ.has(v)) return true;
        return (v === 'create' || v === 'update' || v === 'patch') && a.name === node;
      case 'nodes/status':
        return (v === 'get' || v === 'update' || v === 'patch') && a.name === node;
      case 'services':
      case 'endpoints':
        return READ.has(v);
      case 'events':
        return v === 'create' || v === 'update' || v === 'patch';
      case 'accessreviews':
        return v === 'create';
      case 'leases':
        return a.namespace === NODE_LEASE_NAMESPACE && a.name === node && (v === 'get' || v === 'create' || v === 'update' || v === 'patch');
      case 'pods':
      case 'pods/status':
      case 'pods/log': {
        if (v === 'list' || v === 'watch') return a.resource === 'pods' && selectsNode(scope, node);
        if (a.name === '' || a.namespace === '') return false;
        const ok = a.resource === 'pods' ? ['get', 'update', 'patch', 'delete'] : a.resource === 'pods/status' ? ['get', 'update', 'patch'] : ['get'];
        if (!ok.includes(v)) return false;
        return this.withPods(node, (pods) => pods.some((p) => p.metadata.namespace === a.namespace && p.metadata.name === a.name));
      }
      case 'secrets':
      case 'configmaps':
      case 'serviceaccounts':
      case 'serviceaccounts/token': {
        const kind = a.resource === 'serviceaccounts/token' ? 'serviceaccounts' : a.resource;
        const verbOk = a.resource === 'serviceaccounts/token' ? v === 'create' : READ.has(v);
        if (!verbOk || a.name === '' || a.namespace === '') return false;
        return this.withPods(node, (pods) => pods.some((p) => p.metadata.namespace === a.namespace && references(p, kind).includes(a.name)));
      }
      default:
        return false;
    }
  }
}
