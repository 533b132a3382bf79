/**
 * `podUpdateErrors`: pods are immutable once created, as in Kubernetes, except
 * container images, added tolerations, and `spec.nodeName` set once (the
 * scheduler's binding). Agents and controllers rely on this: a running pod
 * never changes under them; a new template means new pods.
 */
import type { FieldError } from './api_error.js';

type Obj = Record<string, unknown>;

/** The problems with changing a pod from `old` to `next` (empty = allowed). */
export function podUpdateErrors(old: Obj, next: Obj): FieldError[] {
  const o = structuredClone(old.spec) as Obj;
  const n = structuredClone(next.spec) as Obj;
  const errs: FieldError[] = [];
  const oldNode = typeof o.nodeName === 'string' ? o.nodeName : '';
  const newNode = typeof n.nodeName === 'string' ? n.nodeName : '';
  if (oldNode !== '' && newNode !== oldNode)
    errs.push({ field: 'spec.nodeName', type: 'Forbidden', detail: `pod is already bound to node "${oldNode}"` });
  // Blank out what may change, then any remaining difference is forbidden.
  o.nodeName = undefined;
  n.nodeName = undefined;
  const oc = Array.isArray(o.containers) ? (o.containers as Obj[]) : [];
  const nc = Array.isArray(n.containers) ? (n.containers as Obj[]) : [];
  if (oc.length === nc.length) for (let i = 0; i < oc.length; i++) nc[i]!.image = oc[i]!.image;
  const ot = Array.isArray(o.tolerations) ? (o.tolerations as unknown[]) : [];
  const nt = Array.isArray(n.tolerations) ? (n.tolerations as unknown[]) : [];
  const prefixKept = ot.every((t, i) => JSON.stringify(t) === JSON.stringify(nt[i]));
  if (prefixKept) n.tolerations = o.tolerations;
  if (JSON.stringify(o) !== JSON.stringify(n))
    errs.push({
      field: 'spec',
      type: 'Forbidden',
      detail: 'pod updates may not change fields other than `spec.containers[*].image`, `spec.tolerations` (only additions to existing tolerations) or `spec.nodeName` (only to bind an unbound pod)',
    });
  return errs;
}
