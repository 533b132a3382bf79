/**
 * Validation of API objects as they arrive (untyped JSON) before they are
 * stored. `validateObject` returns every problem found as a `FieldError` with
 * the field path Kubernetes would print (`spec.template.spec.containers[0].image`);
 * the registry turns a non-empty list into a 422 `… is invalid: …` Status.
 * Checks run after defaulting (defaults.ts), so required-with-default fields
 * are present. Every value is bounded (lengths, counts, ranges) because the
 * input is untrusted.
 */
import type { FieldError } from './api_error.js';
import { isObj, type Obj, V } from './field_validator.js';
import { selectorFromObject } from './label_selector.js';
import { configMapKey, dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './names.js';
import { QUOTA_RESOURCES } from './objects.js';
import { validatePodSpec, validatePort } from './pod_validation.js';
import type { ResourceInfo } from './resources.js';
import { validateScalingPolicySpec } from './scaling_policy_validation.js';
import { pathSegmentName, validateRbacObject } from '../auth/rbac_validation.js';

/** Total size of an object's annotations, as Kubernetes limits it. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Largest ConfigMap/Secret payload. */
export const MAX_DATA_BYTES = 1024 * 1024;

// ---------------------------------------------------------------- metadata

function validateMeta(v: V, info: ResourceInfo, o: Obj, isCreate: boolean): void {
  const meta = v.obj(o, 'metadata', '', true);
  if (meta === undefined) return;
  const name = v.str(meta, 'name', 'metadata');
  const generateName = v.str(meta, 'generateName', 'metadata');
  if ((name === undefined || name === '') && (!isCreate || generateName === undefined || generateName === ''))
    v.required('metadata.name', 'name or generateName is required');
  else if (name !== undefined && name !== '') {
    const useLabel = info.resource === 'namespaces' || info.resource === 'services';
    const rbac = info.group === 'rbac.authorization.k8s.io';
    v.syntax('metadata.name', name, rbac ? pathSegmentName(name) : useLabel ? dns1123Label(name) : dns1123Subdomain(name));
  }
  if (generateName !== undefined && generateName !== '' && (name === undefined || name === ''))
    v.syntax('metadata.generateName', generateName, dns1123Subdomain(`${generateName}a`));
  v.labels(meta, 'labels', 'metadata');
  let annBytes = 0;
  for (const [k, val] of v.map(meta, 'annotations', 'metadata')) {
    v.syntax('metadata.annotations', k, qualifiedName(k));
    annBytes += k.length + val.length;
  }
  if (annBytes > MAX_ANNOTATIONS_BYTES)
    v.errs.push({ field: 'metadata.annotations', type: 'TooLong', detail: `may not be more than ${MAX_ANNOTATIONS_BYTES} bytes` });
  const fins = v.stringArray(meta, 'finalizers', 'metadata') ?? [];
  fins.forEach((f, i) => {
    v.syntax(`metadata.finalizers[${i}]`, f, qualifiedName(f));
  });
  const owners = v.arr(meta, 'ownerReferences', 'metadata') ?? [];
  let controllers = 0;
  owners.forEach((r, i) => {
    const p = `metadata.ownerReferences[${i}]`;
    if (!isObj(r)) {
      v.invalid(p, r, 'must be an object');
      return;
    }
    v.str(r, 'apiVersion', p, true);
    v.str(r, 'kind', p, true);
    v.str(r, 'name', p, true);
    v.str(r, 'uid', p, true);
    v.bool(r, 'controller', p);
    v.bool(r, 'blockOwnerDeletion', p);
    if (r.controller === true) controllers++;
  });
  if (controllers > 1) v.invalid('metadata.ownerReferences', owners.length, 'Only one reference can have Controller set to true');
}

// ---------------------------------------------------------------- pods

// ---------------------------------------------------------------- workloads

function validateSelectorObject(v: V, o: Obj, key: string, path: string): boolean {
  const sel = v.obj(o, key, path, true);
  if (sel === undefined) return false;
  const p = `${path}.${key}`;
  v.labels(sel, 'matchLabels', p);
  const exprs = v.arr(sel, 'matchExpressions', p) ?? [];
  exprs.forEach((e, i) => {
    const ep = `${p}.matchExpressions[${i}]`;
    if (!isObj(e)) {
      v.invalid(ep, e, 'must be an object');
      return;
    }
    const k = v.str(e, 'key', ep, true);
    if (k) v.syntax(`${ep}.key`, k, qualifiedName(k));
    const op = v.enumField(e, 'operator', ep, ['In', 'NotIn', 'Exists', 'DoesNotExist']);
    const vals = v.stringArray(e, 'values', ep) ?? [];
    if ((op === 'In' || op === 'NotIn') && vals.length === 0) v.required(`${ep}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\'');
    if ((op === 'Exists' || op === 'DoesNotExist') && vals.length > 0)
      v.forbidden(`${ep}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    vals.forEach((x, j) => {
      v.syntax(`${ep}.values[${j}]`, x, labelValue(x));
    });
  });
  const empty = Object.keys(isObj(sel.matchLabels) ? sel.matchLabels : {}).length === 0 && exprs.length === 0;
  if (empty) v.invalid(p, sel, 'empty selector is invalid for deployment');
  return !empty;
}

function intOrPercent(v: V, field: string, x: unknown): number | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x === 'number') {
    if (!Number.isInteger(x) || x < 0) v.invalid(field, x, 'must be greater than or equal to 0');
    return x;
  }
  if (typeof x === 'string') {
    const m = /^([0-9]+)%$/.exec(x);
    if (m === null) {
      v.invalid(field, x, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')");
      return undefined;
    }
    const n = Number(m[1]);
    if (n > 100) v.invalid(field, x, 'must not be greater than 100%');
    return n;
  }
  v.invalid(field, x, 'must be an integer or percentage (e.g. 5 or "25%")');
  return undefined;
}

/** Most alert names in a Deployment's `spec.rollbackOn`. */
export const MAX_ROLLBACK_ON = 32;
/** Longest alert name in `spec.rollbackOn`. */
export const MAX_ALERT_NAME_LENGTH = 256;

/** `spec.rollbackOn`: unique, non-empty alert names without control characters, bounded in count and length. */
function validateRollbackOn(v: V, spec: Obj): void {
  const names = v.stringArray(spec, 'rollbackOn', 'spec');
  if (names === undefined) return;
  if (names.length > MAX_ROLLBACK_ON) v.errs.push({ field: 'spec.rollbackOn', type: 'TooLong', detail: `must have at most ${MAX_ROLLBACK_ON} items, got ${names.length}` });
  const seen = new Set<string>();
  names.forEach((n, i) => {
    const f = `spec.rollbackOn[${i}]`;
    if (n === '') v.required(f, 'an alert name is required');
    else if (n.length > MAX_ALERT_NAME_LENGTH) v.invalid(f, n, `must be no more than ${MAX_ALERT_NAME_LENGTH} characters`);
    else if ([...n].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) v.invalid(f, n, 'an alert name may not contain control characters');
    if (seen.has(n)) v.duplicate(f, n);
    seen.add(n);
  });
}

function validateReplicated(v: V, spec: Obj, isDeployment: boolean): void {
  v.int(spec, 'replicas', 'spec', 0);
  v.int(spec, 'minReadySeconds', 'spec', 0);
  const hasSel = validateSelectorObject(v, spec, 'selector', 'spec');
  const tpl = v.obj(spec, 'template', 'spec', true);
  if (tpl !== undefined) {
    const tmeta = v.obj(tpl, 'metadata', 'spec.template');
    if (tmeta !== undefined) {
      v.labels(tmeta, 'labels', 'spec.template.metadata');
      for (const [k] of v.map(tmeta, 'annotations', 'spec.template.metadata')) v.syntax('spec.template.metadata.annotations', k, qualifiedName(k));
    }
    if (hasSel && v.errs.length === 0) {
      const labels = isObj(tmeta?.labels) ? (tmeta.labels as Record<string, string>) : {};
      const sel = selectorFromObject(spec.selector as Parameters<typeof selectorFromObject>[0]);
      if (!sel.matches(labels)) v.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
    }
    const pspec = v.obj(tpl, 'spec', 'spec.template', true);
    if (pspec !== undefined) validatePodSpec(v, pspec, 'spec.template.spec', true);
  }
  if (!isDeployment) return;
  v.int(spec, 'revisionHistoryLimit', 'spec', 0);
  const pd = v.int(spec, 'progressDeadlineSeconds', 'spec', 1);
  const mrs = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
  if (pd !== undefined && pd <= mrs) v.invalid('spec.progressDeadlineSeconds', pd, 'must be greater than minReadySeconds');
  v.bool(spec, 'paused', 'spec');
  validateRollbackOn(v, spec);
  const st = v.obj(spec, 'strategy', 'spec');
  if (st !== undefined) {
    const type = v.enumField(st, 'type', 'spec.strategy', ['RollingUpdate', 'Recreate']);
    const ru = v.obj(st, 'rollingUpdate', 'spec.strategy');
    if (type === 'Recreate' && ru !== undefined) v.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
    if (ru !== undefined && type !== 'Recreate') {
      const s = intOrPercent(v, 'spec.strategy.rollingUpdate.maxSurge', ru.maxSurge);
      const u = intOrPercent(v, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable);
      if (s === 0 && u === 0) v.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0');
    }
  }
}

// ---------------------------------------------------------------- other kinds

function validateService(v: V, spec: Obj): void {
  v.labels(spec, 'selector', 'spec');
  v.enumField(spec, 'type', 'spec', ['ClusterIP']);
  const ports = v.arr(spec, 'ports', 'spec', true) ?? [];
  const names = new Set<string>();
  const nums = new Set<number>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    if (!isObj(p)) {
      v.invalid(pp, p, 'must be an object');
      return;
    }
    const n = v.str(p, 'name', pp);
    if (ports.length > 1 && !n) v.required(`${pp}.name`);
    if (n) {
      v.syntax(`${pp}.name`, n, dns1123Label(n));
      if (names.has(n)) v.duplicate(`${pp}.name`, n);
      names.add(n);
    }
    if (p.port === undefined) v.required(`${pp}.port`);
    else validatePort(v, `${pp}.port`, p.port, false);
    if (typeof p.port === 'number') {
      if (nums.has(p.port)) v.duplicate(`${pp}.port`, p.port);
      nums.add(p.port);
    }
    if (p.targetPort !== undefined) validatePort(v, `${pp}.targetPort`, p.targetPort, true);
    v.enumField(p, 'protocol', pp, ['TCP']);
  });
}

function validateData(v: V, o: Obj, key: string, base64: boolean): number {
  let bytes = 0;
  for (const [k, val] of v.map(o, key, '')) {
    v.syntax(`${key}[${k}]`, k, configMapKey(k));
    if (base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(val)) v.invalid(`${key}[${k}]`, '<secret contents redacted>', 'must be base64 encoded');
    bytes += k.length + val.length;
  }
  return bytes;
}

function validateNodeSpec(v: V, spec: Obj): void {
  v.bool(spec, 'unschedulable', 'spec');
  (v.arr(spec, 'taints', 'spec') ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    if (!isObj(t)) {
      v.invalid(p, t, 'must be an object');
      return;
    }
    const key = v.str(t, 'key', p, true);
    if (key) v.syntax(`${p}.key`, key, qualifiedName(key));
    const val = v.str(t, 'value', p);
    if (val) v.syntax(`${p}.value`, val, labelValue(val));
    if (t.effect === undefined) v.required(`${p}.effect`);
    v.enumField(t, 'effect', p, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
  });
}

function validateQuota(v: V, spec: Obj): void {
  const hard = v.obj(spec, 'hard', 'spec', true);
  if (hard === undefined) return;
  for (const [k, val] of Object.entries(hard)) {
    if (!(QUOTA_RESOURCES as readonly string[]).includes(k)) {
      v.unsupported(`spec.hard[${k}]`, k, QUOTA_RESOURCES);
      continue;
    }
    const q = v.quantity(`spec.hard[${k}]`, val);
    if (k === 'pods' && q !== undefined && !Number.isInteger(q)) v.invalid(`spec.hard[${k}]`, val, 'must be an integer');
  }
}

function validateEvent(v: V, o: Obj): void {
  const io = v.obj(o, 'involvedObject', '', true);
  if (io !== undefined) {
    v.str(io, 'kind', 'involvedObject', true);
    v.str(io, 'name', 'involvedObject', true);
  }
  const reason = v.str(o, 'reason', '', true);
  if (reason !== undefined && reason.length > 128) v.invalid('reason', reason, 'must be no more than 128 characters');
  const msg = v.str(o, 'message', '');
  if (msg !== undefined && msg.length > 4096) v.invalid('message', `${msg.slice(0, 20)}…`, 'must be no more than 4096 characters');
  v.enumField(o, 'type', '', ['Normal', 'Warning']);
  v.int(o, 'count', '', 1);
}

function validateEndpoints(v: V, o: Obj): void {
  (v.arr(o, 'subsets', '') ?? []).forEach((s, i) => {
    const p = `subsets[${i}]`;
    if (!isObj(s)) {
      v.invalid(p, s, 'must be an object');
      return;
    }
    for (const k of ['addresses', 'notReadyAddresses']) {
      (v.arr(s, k, p) ?? []).forEach((a, j) => {
        if (!isObj(a)) {
      v.invalid(`${p}.${k}[${j}]`, a, 'must be an object');
      return;
    }
        v.str(a, 'ip', `${p}.${k}[${j}]`, true);
      });
    }
    (v.arr(s, 'ports', p) ?? []).forEach((pt, j) => {
      if (!isObj(pt)) {
      v.invalid(`${p}.ports[${j}]`, pt, 'must be an object');
      return;
    }
      validatePort(v, `${p}.ports[${j}].port`, pt.port, false);
    });
  });
}

/** Strips the leading '.' of top-level paths built from ''. */
function tidy(errs: FieldError[]): FieldError[] {
  return errs.map((e) => (e.field.startsWith('.') ? { ...e, field: e.field.slice(1) } : e));
}

/**
 * Every problem with `obj` as an object of `info`'s kind (empty = valid).
 * `isCreate` allows `generateName` instead of `name`.
 */
export function validateObject(info: ResourceInfo, obj: unknown, isCreate: boolean): FieldError[] {
  const v = new V();
  if (!isObj(obj)) {
    v.invalid('', obj, 'must be a JSON object');
    return v.errs;
  }
  validateMeta(v, info, obj, isCreate);
  switch (info.kind) {
    case 'Pod': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) validatePodSpec(v, spec, 'spec', false);
      break;
    }
    case 'Deployment':
    case 'ReplicaSet': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) validateReplicated(v, spec, info.kind === 'Deployment');
      break;
    }
    case 'Service': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) validateService(v, spec);
      break;
    }
    case 'ConfigMap':
      if (validateData(v, obj, 'data', false) > MAX_DATA_BYTES)
        v.errs.push({ field: 'data', type: 'TooLong', detail: `must have at most ${MAX_DATA_BYTES} bytes` });
      break;
    case 'Secret': {
      const n = validateData(v, obj, 'data', true) + validateData(v, obj, 'stringData', false);
      if (n > MAX_DATA_BYTES) v.errs.push({ field: 'data', type: 'TooLong', detail: `must have at most ${MAX_DATA_BYTES} bytes` });
      v.str(obj, 'type', '');
      break;
    }
    case 'Node': {
      const spec = v.obj(obj, 'spec', '');
      if (spec) validateNodeSpec(v, spec);
      break;
    }
    case 'ResourceQuota': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) validateQuota(v, spec);
      break;
    }
    case 'Event':
      validateEvent(v, obj);
      break;
    case 'Endpoints':
      validateEndpoints(v, obj);
      break;
    case 'ScalingPolicy': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) validateScalingPolicySpec(v, spec);
      break;
    }
    case 'Role':
    case 'ClusterRole':
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      validateRbacObject(v, info.kind, obj);
      break;
    case 'Lease': {
      const spec = v.obj(obj, 'spec', '', true);
      if (spec) {
        v.str(spec, 'holderIdentity', 'spec');
        v.int(spec, 'leaseDurationSeconds', 'spec', 1);
        v.int(spec, 'leaseTransitions', 'spec', 0);
      }
      break;
    }
  }
  return tidy(v.errs);
}
