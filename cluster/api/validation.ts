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
import { configMapKey, dns1123Label, dns1123Subdomain, envVarName, labelValue, qualifiedName } from './names.js';
import { selectorFromObject } from './label_selector.js';
import { parseQuantity, QUANTITY_FORMAT } from './quantity.js';
import { QUOTA_RESOURCES } from './objects.js';
import type { ResourceInfo } from './resources.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Total size of an object's annotations, as Kubernetes limits it. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Largest ConfigMap/Secret payload. */
export const MAX_DATA_BYTES = 1024 * 1024;
/** Upper bound of list lengths (containers, env, ports, …) we accept. */
const MAX_ITEMS = 1000;

/** Collects field errors under a path. */
class V {
  readonly errs: FieldError[] = [];
  invalid(field: string, value: unknown, detail: string): void {
    this.errs.push({ field, type: 'Invalid', value, detail });
  }
  required(field: string, detail = ''): void {
    this.errs.push({ field, type: 'Required', detail });
  }
  unsupported(field: string, value: unknown, allowed: readonly string[]): void {
    this.errs.push({ field, type: 'Unsupported', value, detail: `supported values: ${allowed.map((a) => `"${a}"`).join(', ')}` });
  }
  forbidden(field: string, detail: string): void {
    this.errs.push({ field, type: 'Forbidden', detail });
  }
  duplicate(field: string, value: unknown): void {
    this.errs.push({ field, type: 'Duplicate', value, detail: '' });
  }
  syntax(field: string, value: string, problems: string[]): void {
    for (const p of problems) this.invalid(field, value, p);
  }

  /** A string field; returns it or undefined (recording a type error). */
  str(o: Obj, key: string, path: string, required = false): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.invalid(`${path}.${key}`, v, 'must be a string');
      return undefined;
    }
    if (required && v === '') this.required(`${path}.${key}`);
    return v;
  }

  /** An integer field within [min, max]. */
  int(o: Obj, key: string, path: string, min: number, max = 2 ** 31 - 1, minText?: string): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an integer');
      return undefined;
    }
    if (v < min) this.invalid(`${path}.${key}`, v, minText ?? `must be greater than or equal to ${min}`);
    else if (v > max) this.invalid(`${path}.${key}`, v, `must be less than or equal to ${max}`);
    return v;
  }

  bool(o: Obj, key: string, path: string): void {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.invalid(`${path}.${key}`, v, 'must be a boolean');
  }

  /** An optional object field. */
  obj(o: Obj, key: string, path: string, required = false): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (!isObj(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an object');
      return undefined;
    }
    return v;
  }

  /** An optional array field (bounded length). */
  arr(o: Obj, key: string, path: string, required = false): unknown[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.required(`${path}.${key}`);
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.invalid(`${path}.${key}`, v, 'must be an array');
      return undefined;
    }
    if (v.length > MAX_ITEMS) {
      this.errs.push({ field: `${path}.${key}`, type: 'TooLong', detail: `must have at most ${MAX_ITEMS} items` });
      return undefined;
    }
    if (required && v.length === 0) this.required(`${path}.${key}`);
    return v;
  }

  /** A string → string map (labels, data); returns its entries. */
  map(o: Obj, key: string, path: string): [string, string][] {
    const m = this.obj(o, key, path);
    if (m === undefined) return [];
    const out: [string, string][] = [];
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') this.invalid(`${path}.${key}[${k}]`, v, 'must be a string');
      else out.push([k, v]);
    }
    return out;
  }

  stringArray(o: Obj, key: string, path: string): string[] | undefined {
    const a = this.arr(o, key, path);
    if (a === undefined) return undefined;
    a.forEach((x, i) => {
      if (typeof x !== 'string') this.invalid(`${path}.${key}[${i}]`, x, 'must be a string');
    });
    return a.filter((x): x is string => typeof x === 'string');
  }

  enumField<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[]): T | undefined {
    const v = this.str(o, key, path);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.unsupported(`${path}.${key}`, v, allowed);
      return undefined;
    }
    return v as T;
  }

  labels(o: Obj, key: string, path: string): void {
    for (const [k, v] of this.map(o, key, path)) {
      this.syntax(`${path}.${key}`, k, qualifiedName(k));
      this.syntax(`${path}.${key}`, v, labelValue(v));
    }
  }

  quantity(field: string, v: unknown): number | undefined {
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.invalid(field, v, `must be a quantity: ${QUANTITY_FORMAT}`);
      return undefined;
    }
    const q = typeof v === 'number' ? v : parseQuantity(v);
    if (q === null || !Number.isFinite(q)) {
      this.invalid(field, v, `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
      return undefined;
    }
    if (q < 0) this.invalid(field, v, 'must be greater than or equal to 0');
    return q;
  }
}

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
    v.syntax('metadata.name', name, useLabel ? dns1123Label(name) : dns1123Subdomain(name));
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

const PROBE_FIELDS = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const;

function validatePort(v: V, field: string, port: unknown, allowName: boolean): void {
  if (typeof port === 'number') {
    if (!Number.isInteger(port) || port < 1 || port > 65535) v.invalid(field, port, 'must be between 1 and 65535, inclusive');
  } else if (typeof port === 'string' && allowName) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(port) || port.length > 15 || !/[a-z]/.test(port))
      v.invalid(field, port, 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), at most 15 characters, with at least one letter');
  } else v.invalid(field, port, allowName ? 'must be a port number or a port name' : 'must be a port number');
}

function validateProbe(v: V, c: Obj, key: string, path: string): void {
  const p = v.obj(c, key, path);
  if (p === undefined) return;
  const pp = `${path}.${key}`;
  const handlers = ['httpGet', 'tcpSocket', 'exec'].filter((h) => p[h] !== undefined && p[h] !== null);
  if (handlers.length === 0) v.required(pp, 'must specify a handler type');
  if (handlers.length > 1) v.forbidden(`${pp}.${handlers[1]}`, 'may not specify more than 1 handler type');
  const http = v.obj(p, 'httpGet', pp);
  if (http !== undefined) {
    validatePort(v, `${pp}.httpGet.port`, http.port, true);
    const path2 = v.str(http, 'path', `${pp}.httpGet`);
    if (path2 !== undefined && !path2.startsWith('/')) v.invalid(`${pp}.httpGet.path`, path2, "must start with '/'");
    v.enumField(http, 'scheme', `${pp}.httpGet`, ['HTTP']);
  }
  const tcp = v.obj(p, 'tcpSocket', pp);
  if (tcp !== undefined) validatePort(v, `${pp}.tcpSocket.port`, tcp.port, true);
  const ex = v.obj(p, 'exec', pp);
  if (ex !== undefined && (v.stringArray(ex, 'command', `${pp}.exec`) ?? []).length === 0) v.required(`${pp}.exec.command`);
  for (const f of PROBE_FIELDS) v.int(p, f, pp, f === 'initialDelaySeconds' ? 0 : 1);
  if (key !== 'readinessProbe' && p.successThreshold !== undefined && p.successThreshold !== 1)
    v.invalid(`${pp}.successThreshold`, p.successThreshold, 'must be 1');
}

function validateResources(v: V, c: Obj, path: string): void {
  const r = v.obj(c, 'resources', path);
  if (r === undefined) return;
  const got: Record<string, Record<string, number>> = { requests: {}, limits: {} };
  for (const kind of ['requests', 'limits'] as const) {
    const m = v.obj(r, kind, `${path}.resources`);
    if (m === undefined) continue;
    for (const [k, val] of Object.entries(m)) {
      const f = `${path}.resources.${kind}[${k}]`;
      if (k !== 'cpu' && k !== 'memory') {
        v.unsupported(f, k, ['cpu', 'memory']);
        continue;
      }
      const q = v.quantity(f, val);
      if (q !== undefined) got[kind]![k] = q;
    }
  }
  for (const k of ['cpu', 'memory']) {
    const req = got.requests![k];
    const lim = got.limits![k];
    if (req !== undefined && lim !== undefined && req > lim)
      v.invalid(`${path}.resources.requests`, (r.requests as Obj)[k], `must be less than or equal to ${k} limit of ${String((r.limits as Obj)[k])}`);
  }
}

function validateContainer(v: V, c: unknown, path: string, volumes: Set<string>): string | undefined {
  if (!isObj(c)) {
    v.invalid(path, c, 'must be an object');
    return undefined;
  }
  const name = v.str(c, 'name', path, true);
  if (name) v.syntax(`${path}.name`, name, dns1123Label(name));
  const image = v.str(c, 'image', path, true);
  if (image !== undefined && image.length > 4096) v.invalid(`${path}.image`, `${image.slice(0, 20)}…`, 'must be no more than 4096 characters');
  if (image !== undefined && image.trim() === '' && image !== '') v.required(`${path}.image`);
  v.stringArray(c, 'command', path);
  v.stringArray(c, 'args', path);
  v.str(c, 'workingDir', path);
  (v.arr(c, 'env', path) ?? []).forEach((e, i) => {
    const p = `${path}.env[${i}]`;
    if (!isObj(e)) {
      v.invalid(p, e, 'must be an object');
      return;
    }
    const n = v.str(e, 'name', p, true);
    if (n) v.syntax(`${p}.name`, n, envVarName(n));
    v.str(e, 'value', p);
    const from = v.obj(e, 'valueFrom', p);
    if (from !== undefined) {
      if (e.value !== undefined && e.value !== '') v.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty');
      const refs = ['configMapKeyRef', 'secretKeyRef'].filter((k) => from[k] !== undefined);
      if (refs.length !== 1) v.invalid(`${p}.valueFrom`, '', 'must specify exactly one of: `configMapKeyRef` or `secretKeyRef`');
      for (const k of refs) {
        const ref = v.obj(from, k, `${p}.valueFrom`);
        if (ref === undefined) continue;
        v.str(ref, 'name', `${p}.valueFrom.${k}`, true);
        const key = v.str(ref, 'key', `${p}.valueFrom.${k}`, true);
        if (key) v.syntax(`${p}.valueFrom.${k}.key`, key, configMapKey(key));
        v.bool(ref, 'optional', `${p}.valueFrom.${k}`);
      }
    }
  });
  const portNames = new Set<string>();
  (v.arr(c, 'ports', path) ?? []).forEach((pt, i) => {
    const p = `${path}.ports[${i}]`;
    if (!isObj(pt)) {
      v.invalid(p, pt, 'must be an object');
      return;
    }
    v.int(pt, 'containerPort', p, 0, 65535);
    v.int(pt, 'hostPort', p, 1, 65535, 'must be between 1 and 65535, inclusive');
    v.enumField(pt, 'protocol', p, ['TCP']);
    const n = v.str(pt, 'name', p);
    if (n !== undefined) {
      validatePort(v, `${p}.name`, n, true);
      if (portNames.has(n)) v.duplicate(`${p}.name`, n);
      portNames.add(n);
    }
  });
  validateResources(v, c, path);
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) validateProbe(v, c, k, path);
  (v.arr(c, 'volumeMounts', path) ?? []).forEach((m, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!isObj(m)) {
      v.invalid(p, m, 'must be an object');
      return;
    }
    const n = v.str(m, 'name', p, true);
    if (n && !volumes.has(n)) v.errs.push({ field: `${p}.name`, type: 'Invalid', value: n, detail: 'volume not found' });
    const mp = v.str(m, 'mountPath', p, true);
    if (mp && (mp.startsWith('/') || mp.split('/').includes('..')))
      v.invalid(`${p}.mountPath`, mp, "must be a relative path inside the pod directory, without '..'");
  });
  return name;
}

/** Validates a PodSpec at `path` (`spec` or `spec.template.spec`). */
function validatePodSpec(v: V, spec: Obj, path: string, templateOnly: boolean): void {
  const volumes = new Set<string>();
  (v.arr(spec, 'volumes', path) ?? []).forEach((vol, i) => {
    const p = `${path}.volumes[${i}]`;
    if (!isObj(vol)) {
      v.invalid(p, vol, 'must be an object');
      return;
    }
    const n = v.str(vol, 'name', p, true);
    if (n) {
      v.syntax(`${p}.name`, n, dns1123Label(n));
      if (volumes.has(n)) v.duplicate(`${p}.name`, n);
      volumes.add(n);
    }
    const sources = ['configMap', 'secret', 'emptyDir'].filter((k) => vol[k] !== undefined && vol[k] !== null);
    if (sources.length !== 1) v.invalid(p, n ?? '', 'must specify exactly one of: `configMap`, `secret` or `emptyDir`');
    const cm = v.obj(vol, 'configMap', p);
    if (cm) v.str(cm, 'name', `${p}.configMap`, true);
    const sec = v.obj(vol, 'secret', p);
    if (sec) v.str(sec, 'secretName', `${p}.secret`, true);
  });
  const containers = v.arr(spec, 'containers', path, true) ?? [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const n = validateContainer(v, c, `${path}.containers[${i}]`, volumes);
    if (n) {
      if (names.has(n)) v.duplicate(`${path}.containers[${i}].name`, n);
      names.add(n);
    }
  });
  const rp = v.enumField(spec, 'restartPolicy', path, ['Always', 'OnFailure', 'Never']);
  if (templateOnly && rp !== undefined && rp !== 'Always') v.unsupported(`${path}.restartPolicy`, rp, ['Always']);
  v.int(spec, 'terminationGracePeriodSeconds', path, 0);
  const nn = v.str(spec, 'nodeName', path);
  if (nn) v.syntax(`${path}.nodeName`, nn, dns1123Subdomain(nn));
  v.labels(spec, 'nodeSelector', path);
  (v.arr(spec, 'tolerations', path) ?? []).forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`;
    if (!isObj(t)) {
      v.invalid(p, t, 'must be an object');
      return;
    }
    const key = v.str(t, 'key', p);
    if (key) v.syntax(`${p}.key`, key, qualifiedName(key));
    const op = v.enumField(t, 'operator', p, ['Equal', 'Exists']) ?? 'Equal';
    const value = v.str(t, 'value', p);
    if (op === 'Exists' && value) v.invalid(`${p}.operator`, op, 'value must be empty when `operator` is \'Exists\'');
    if (!key && op !== 'Exists') v.invalid(`${p}.operator`, op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
    const eff = v.enumField(t, 'effect', p, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    const ts = v.int(t, 'tolerationSeconds', p, 0);
    if (ts !== undefined && eff !== 'NoExecute') v.invalid(`${p}.effect`, eff ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set");
  });
}

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
