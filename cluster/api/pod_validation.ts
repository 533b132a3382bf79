/**
 * Validation of pod specs (bare pods and Deployment/ReplicaSet templates):
 * containers (name, image, command, env, ports, resources, probes, volume
 * mounts), volumes, restart policy, node selector and tolerations — with
 * Kubernetes' field paths and wording.
 */
import { type Obj, isObj, type V } from './field_validator.js';
import { configMapKey, dns1123Label, dns1123Subdomain, envVarName, qualifiedName } from './names.js';

const PROBE_FIELDS = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const;

export function validatePort(v: V, field: string, port: unknown, allowName: boolean): void {
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

/** Validates a PodSpec at `path` (`spec` or `spec.template.spec`); `templateOnly` allows only restartPolicy Always. */
export function validatePodSpec(v: V, spec: Obj, path: string, templateOnly: boolean): void {
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

