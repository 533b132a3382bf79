/**
 * Table columns per kind, as `kubectl get` prints them (human-readable
 * printers), and the `-o name` form. Missing values print as `<none>`, as in kubectl.
 *
 *   pods         NAME READY STATUS RESTARTS AGE             (+ IP NODE with -o wide)
 *   deployments  NAME READY UP-TO-DATE AVAILABLE AGE        (+ CONTAINERS IMAGES SELECTOR)
 *   replicasets  NAME DESIRED CURRENT READY AGE             (+ CONTAINERS IMAGES SELECTOR)
 *   nodes        NAME STATUS ROLES AGE VERSION              (+ INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME)
 *   services     NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE (+ SELECTOR)
 *   events       LAST SEEN TYPE REASON OBJECT MESSAGE
 *   scalingpolicies NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE (+ REASON)
 *   others       per kind below, else NAME AGE
 */
import type {
  ApiObject,
  ConfigMap,
  Container,
  Deployment,
  Endpoints,
  Event,
  LabelSelector,
  Lease,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  ResourceQuota,
  ScalingPolicy,
  Secret,
  Service,
} from '../api/objects.js';
import { qualifiedResource, type ResourceInfo, resourceForKind } from '../api/resources.js';
import { ageOf } from './age.js';

export interface PrintOptions {
  readonly wide: boolean;
  /** Prefix a NAMESPACE column (with `-A`). */
  readonly withNamespace: boolean;
  readonly showLabels: boolean;
  readonly nowMs: number;
  /** Print names as `deployment.apps/web` (when several kinds are listed together). */
  readonly kindPrefix?: boolean;
}

const NONE = '<none>';

function labelsText(o: ApiObject): string {
  const l = o.metadata.labels ?? {};
  const s = Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return s === '' ? NONE : s;
}

/** `app=web,tier in (a,b)`, as kubectl prints a LabelSelector. */
export function selectorText(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.length === 0 ? NONE : parts.join(',');
}

function containersAndImages(cs: readonly Container[]): [string, string] {
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

/** The STATUS column of a pod: Terminating, a container's waiting/terminated reason, or the phase. */
export function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp !== undefined) return 'Terminating';
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Pending';
  for (const cs of p.status?.containerStatuses ?? []) {
    if (cs.state.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state.terminated?.reason && p.status?.phase !== 'Succeeded') reason = cs.state.terminated.reason;
  }
  return reason;
}

function podReady(p: Pod): string {
  const total = p.spec.containers.length;
  const ready = (p.status?.containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

function podRestarts(p: Pod, nowMs: number): string {
  let n = 0;
  let last = '';
  for (const cs of p.status?.containerStatuses ?? []) {
    n += cs.restartCount;
    const f = cs.lastState?.terminated?.finishedAt;
    if (f !== undefined && (last === '' || f > last)) last = f;
  }
  return last !== '' && n > 0 ? `${n} (${ageOf(last, nowMs)} ago)` : String(n);
}

/** Node STATUS: Ready / NotReady / Unknown, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  let s = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  if (n.spec.unschedulable === true) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(n: Node): string {
  const roles: string[] = [];
  for (const k of Object.keys(n.metadata.labels ?? {})) {
    const m = /^node-role\.kubernetes\.io\/(.+)$/.exec(k);
    if (m) roles.push(m[1]!);
  }
  return roles.length === 0 ? NONE : roles.sort().join(',');
}

function servicePorts(s: Service): string {
  const ps = s.spec.ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
  return ps.length === 0 ? NONE : ps.join(',');
}

function endpointsText(e: Endpoints): string {
  const out: string[] = [];
  for (const s of e.subsets ?? []) for (const a of s.addresses ?? []) for (const p of s.ports ?? []) out.push(`${a.ip}:${p.port}`);
  if (out.length === 0) return NONE;
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

function eventObject(e: Event): string {
  return `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`;
}

/** The LAST SEEN time of an event. */
export function eventTime(e: Event): string | undefined {
  return e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
}

interface Columns {
  header: string[];
  wide: string[];
  row(o: ApiObject, nowMs: number): string[];
  wideRow?(o: ApiObject): string[];
}

const age = (o: ApiObject, now: number) => ageOf(o.metadata.creationTimestamp, now);

const COLUMNS: Readonly<Record<string, Columns>> = {
  Pod: {
    header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE'],
    row: (o, now) => {
      const p = o as Pod;
      return [p.metadata.name, podReady(p), podStatus(p), podRestarts(p, now), age(p, now)];
    },
    wideRow: (o) => {
      const p = o as Pod;
      return [p.status?.podIP || NONE, p.spec.nodeName || NONE];
    },
  },
  Deployment: {
    header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const d = o as Deployment;
      const st = d.status ?? {};
      return [d.metadata.name, `${st.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`, String(st.updatedReplicas ?? 0), String(st.availableReplicas ?? 0), age(d, now)];
    },
    wideRow: (o) => {
      const d = o as Deployment;
      return [...containersAndImages(d.spec.template.spec.containers), selectorText(d.spec.selector)];
    },
  },
  ReplicaSet: {
    header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const r = o as ReplicaSet;
      return [r.metadata.name, String(r.spec.replicas ?? 1), String(r.status?.replicas ?? 0), String(r.status?.readyReplicas ?? 0), age(r, now)];
    },
    wideRow: (o) => {
      const r = o as ReplicaSet;
      return [...containersAndImages(r.spec.template.spec.containers), selectorText(r.spec.selector)];
    },
  },
  Node: {
    header: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    row: (o, now) => {
      const n = o as Node;
      return [n.metadata.name, nodeStatus(n), nodeRoles(n), age(n, now), n.status?.nodeInfo?.agentVersion || NONE];
    },
    wideRow: (o) => {
      const n = o as Node;
      const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      const info = n.status?.nodeInfo;
      return [ip ?? NONE, NONE, info?.operatingSystem || NONE, NONE, info ? `process (${info.isolation})` : NONE];
    },
  },
  Service: {
    header: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row: (o, now) => {
      const s = o as Service;
      return [s.metadata.name, s.spec.type ?? 'ClusterIP', NONE, NONE, servicePorts(s), age(s, now)];
    },
    wideRow: (o) => {
      const s = o as Service;
      return [selectorText({ matchLabels: s.spec.selector ?? {} })];
    },
  },
  Endpoints: {
    header: ['NAME', 'ENDPOINTS', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, endpointsText(o as Endpoints), age(o, now)],
  },
  Event: {
    header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wide: [],
    row: (o, now) => {
      const e = o as Event;
      return [ageOf(eventTime(e), now), e.type, e.reason, eventObject(e), e.message];
    },
  },
  Namespace: {
    header: ['NAME', 'STATUS', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, (o as Namespace).status?.phase ?? 'Active', age(o, now)],
  },
  ConfigMap: {
    header: ['NAME', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, String(Object.keys((o as ConfigMap).data ?? {}).length), age(o, now)],
  },
  Secret: {
    header: ['NAME', 'TYPE', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => {
      const s = o as Secret;
      return [s.metadata.name, s.type ?? 'Opaque', String(Object.keys(s.data ?? {}).length), age(s, now)];
    },
  },
  ResourceQuota: {
    header: ['NAME', 'AGE', 'REQUEST'],
    wide: [],
    row: (o, now) => {
      const q = o as ResourceQuota;
      const used = q.status?.used ?? {};
      const req = Object.entries(q.spec.hard)
        .map(([k, v]) => `${k}: ${used[k] ?? '0'}/${v}`)
        .join(', ');
      return [q.metadata.name, age(q, now), req];
    },
  },
  ScalingPolicy: {
    // As `kubectl get hpa`: TARGETS is the last value over the target per replica.
    header: ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
    wide: ['REASON'],
    row: (o, now) => {
      const p = o as ScalingPolicy;
      const v = p.status?.lastValue;
      const targets = `${v === undefined ? '<unknown>' : String(Math.round(v * 1000) / 1000)}/${p.spec.targetPerReplica}`;
      return [p.metadata.name, `Deployment/${p.spec.target}`, targets, String(p.spec.minReplicas ?? 1), String(p.spec.maxReplicas), String(p.status?.currentReplicas ?? 0), age(p, now)];
    },
    wideRow: (o) => [(o as ScalingPolicy).status?.lastReason ?? NONE],
  },
  Lease: {
    header: ['NAME', 'HOLDER', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, (o as Lease).spec.holderIdentity ?? '', age(o, now)],
  },
};

const GENERIC: Columns = { header: ['NAME', 'AGE'], wide: [], row: (o, now) => [o.metadata.name, age(o, now)] };

function columnsOf(kind: string): Columns {
  return COLUMNS[kind] ?? GENERIC;
}

/** The header cells for `kind` under `opts`. */
export function headerFor(kind: string, opts: PrintOptions): string[] {
  const c = columnsOf(kind);
  return [...(opts.withNamespace ? ['NAMESPACE'] : []), ...c.header, ...(opts.wide ? c.wide : []), ...(opts.showLabels ? ['LABELS'] : [])];
}

/** The cells of one object's row under `opts`. */
export function rowFor(o: ApiObject, opts: PrintOptions): string[] {
  const c = columnsOf(o.kind);
  const cells = c.row(o, opts.nowMs);
  const info = opts.kindPrefix === true ? resourceForKind(o.apiVersion, o.kind) : undefined;
  // Events have no NAME column; every other kind starts with it.
  if (info !== undefined && o.kind !== 'Event') cells[0] = nameRef(info, o.metadata.name);
  return [
    ...(opts.withNamespace ? [o.metadata.namespace ?? ''] : []),
    ...cells,
    ...(opts.wide && c.wideRow ? c.wideRow(o) : []),
    ...(opts.showLabels ? [labelsText(o)] : []),
  ];
}

/** `deployment.apps/web`, `pod/web-1`: kubectl's `-o name` and the subject of action messages. */
export function nameRef(info: ResourceInfo, name: string): string {
  const kind = info.kind.toLowerCase();
  return info.group === '' ? `${kind}/${name}` : `${kind}.${info.group}/${name}`;
}

/** `deployments.apps "web"`: the subject of delete messages. */
export function quotedRef(info: ResourceInfo, name: string): string {
  return `${qualifiedResource(info)} "${name}"`;
}
