/**
 * `vigil ctl describe KIND NAME` (also `KIND/NAME`, or `KIND` / `-l SEL` for
 * every match): the object's identity, the fields a person debugging it wants,
 * and the Events about it at the bottom, in kubectl's layout.
 */
import { UsageError } from '../../cmd/cli.js';
import type { ApiObject, ConfigMap, Container, Deployment, Event, Node, Pod, ReplicaSet, Secret, Service, StringMap } from '../api/objects.js';
import { resolveResourceName, type ResourceInfo } from '../api/resources.js';
import { flagString } from './ctl_args.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, nsFor, pathOf, resolveKind, splitKindName } from './ctl_context.js';
import { DescribeWriter, describeTime, writeEvents } from './describe_writer.js';
import { nodeStatus, podStatus, selectorText } from './printers.js';
import { revisionsOf } from './rollout.js';
import { toYaml } from './output.js';

const EVENTS = resolveResourceName('events')!;

function mapLines(m: StringMap | undefined): string[] {
  return Object.entries(m ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

function annotationLines(m: StringMap | undefined): string[] {
  return Object.entries(m ?? {})
    .filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .map(([k, v]) => `${k}: ${v}`);
}

function head(w: DescribeWriter, o: ApiObject, info: ResourceInfo): void {
  w.pair(0, 'Name', o.metadata.name);
  if (info.namespaced) w.pair(0, 'Namespace', o.metadata.namespace ?? '');
  w.pair(0, 'Labels', mapLines(o.metadata.labels));
  w.pair(0, 'Annotations', annotationLines(o.metadata.annotations));
  w.pair(0, 'CreationTimestamp', describeTime(o.metadata.creationTimestamp));
}

function containers(w: DescribeWriter, cs: readonly Container[], indent: number, pod?: Pod): void {
  w.text(indent, 'Containers:');
  for (const c of cs) {
    w.text(indent + 1, `${c.name}:`);
    w.pair(indent + 2, 'Image', c.image);
    if (c.command) w.pair(indent + 2, 'Command', c.command);
    if (c.args) w.pair(indent + 2, 'Args', c.args);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort ?? 0}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`);
    w.pair(indent + 2, 'Port', ports);
    const st = pod?.status?.containerStatuses?.find((s) => s.name === c.name);
    if (st !== undefined) {
      const s = st.state;
      if (s.running) w.pair(indent + 2, 'State', 'Running').pair(indent + 3, 'Started', s.running.startedAt);
      else if (s.waiting) w.pair(indent + 2, 'State', 'Waiting').pair(indent + 3, 'Reason', s.waiting.reason);
      else if (s.terminated) w.pair(indent + 2, 'State', 'Terminated').pair(indent + 3, 'Reason', s.terminated.reason).pair(indent + 3, 'Exit Code', String(s.terminated.exitCode));
      const last = st.lastState?.terminated;
      if (last) w.pair(indent + 2, 'Last State', 'Terminated').pair(indent + 3, 'Reason', last.reason).pair(indent + 3, 'Exit Code', String(last.exitCode)).pair(indent + 3, 'Finished', describeTime(last.finishedAt));
      w.pair(indent + 2, 'Ready', st.ready ? 'True' : 'False');
      w.pair(indent + 2, 'Restart Count', String(st.restartCount));
    }
    const lim = c.resources?.limits;
    const req = c.resources?.requests;
    if (lim) w.text(indent + 2, 'Limits:').pair(indent + 3, 'cpu', lim.cpu ?? '').pair(indent + 3, 'memory', lim.memory ?? '');
    if (req) w.text(indent + 2, 'Requests:').pair(indent + 3, 'cpu', req.cpu ?? '').pair(indent + 3, 'memory', req.memory ?? '');
    w.pair(
      indent + 2,
      'Environment',
      (c.env ?? []).map((e) => `${e.name}=${e.value ?? (e.valueFrom?.configMapKeyRef ? `<configmap ${e.valueFrom.configMapKeyRef.name}:${e.valueFrom.configMapKeyRef.key}>` : '<secret>')}`),
    );
  }
}

function describePod(w: DescribeWriter, p: Pod): void {
  w.pair(0, 'Node', p.spec.nodeName ? `${p.spec.nodeName}/${p.status?.hostIP ?? ''}` : '<none>');
  w.pair(0, 'Start Time', describeTime(p.status?.startTime));
  w.pair(0, 'Status', podStatus(p));
  if (p.status?.reason) w.pair(0, 'Reason', p.status.reason);
  if (p.status?.message) w.pair(0, 'Message', p.status.message);
  w.pair(0, 'IP', p.status?.podIP ?? '');
  const owner = (p.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  w.pair(0, 'Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
  containers(w, p.spec.containers, 0, p);
  const conds = p.status?.conditions ?? [];
  if (conds.length > 0) {
    w.text(0, 'Conditions:');
    w.table(1, [['Type', 'Status'], ...conds.map((c) => [c.type, c.status])]);
  }
  w.pair(0, 'Node-Selectors', mapLines(p.spec.nodeSelector));
  w.pair(0, 'Tolerations', (p.spec.tolerations ?? []).map((t) => `${t.key ?? ''}${t.value ? `=${t.value}` : ''}:${t.effect ?? ''} op=${t.operator ?? 'Equal'}`));
}

async function describeDeployment(ctx: CtlContext, w: DescribeWriter, d: Deployment): Promise<void> {
  const st = d.status ?? {};
  w.pair(0, 'Selector', selectorText(d.spec.selector));
  w.pair(
    0,
    'Replicas',
    `${d.spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  w.pair(0, 'StrategyType', d.spec.strategy?.type ?? 'RollingUpdate');
  w.pair(0, 'MinReadySeconds', String(d.spec.minReadySeconds ?? 0));
  const ru = d.spec.strategy?.rollingUpdate;
  if (ru) w.pair(0, 'RollingUpdateStrategy', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
  if (d.spec.paused) w.pair(0, 'Paused', 'true');
  // Alerts that undo a rollout when they fire for the new revision (cluster/actions/auto_rollback.ts).
  w.pair(0, 'RollbackOn', (d.spec.rollbackOn ?? []).length > 0 ? (d.spec.rollbackOn ?? []).join(', ') : '<none>');
  w.text(0, 'Pod Template:');
  w.pair(1, 'Labels', mapLines(d.spec.template.metadata?.labels));
  containers(w, d.spec.template.spec.containers, 1);
  const conds = st.conditions ?? [];
  if (conds.length > 0) {
    w.text(0, 'Conditions:');
    w.table(1, [['Type', 'Status', 'Reason'], ['----', '------', '------'], ...conds.map((c) => [c.type, c.status, c.reason ?? ''])]);
    const rolledBack = conds.find((c) => c.type === 'RolledBack' && c.status === 'True');
    if (rolledBack !== undefined) w.pair(0, 'RolledBack', `${rolledBack.message ?? ''} (at ${rolledBack.lastTransitionTime ?? '?'})`);
  }
  const revs = await revisionsOf(ctx, d);
  const current = revs[revs.length - 1];
  const rsLine = (r: ReplicaSet) => `${r.metadata.name} (${r.status?.replicas ?? 0}/${r.spec.replicas ?? 0} replicas created)`;
  w.pair(0, 'OldReplicaSets', revs.slice(0, -1).filter((r) => (r.spec.replicas ?? 0) > 0).map(rsLine));
  w.pair(0, 'NewReplicaSet', current ? rsLine(current) : '<none>');
}

function describeNode(w: DescribeWriter, n: Node): void {
  w.pair(0, 'Status', nodeStatus(n));
  w.pair(0, 'Taints', (n.spec.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`));
  w.pair(0, 'Unschedulable', n.spec.unschedulable === true ? 'true' : 'false');
  const conds = n.status?.conditions ?? [];
  if (conds.length > 0) {
    w.text(0, 'Conditions:');
    w.table(1, [['Type', 'Status', 'LastHeartbeatTime', 'Reason', 'Message'], ['----', '------', '-----------------', '------', '-------'], ...conds.map((c) => [c.type, c.status, c.lastHeartbeatTime ?? '', c.reason ?? '', c.message ?? ''])]);
  }
  w.pair(0, 'Addresses', (n.status?.addresses ?? []).map((a) => `${a.type}: ${a.address}`));
  w.text(0, 'Capacity:');
  for (const [k, v] of Object.entries(n.status?.capacity ?? {})) w.pair(1, k, v);
  w.text(0, 'Allocatable:');
  for (const [k, v] of Object.entries(n.status?.allocatable ?? {})) w.pair(1, k, v);
  const info = n.status?.nodeInfo;
  if (info) w.text(0, 'System Info:').pair(1, 'Operating System', info.operatingSystem).pair(1, 'Architecture', info.architecture).pair(1, 'Agent Version', info.agentVersion).pair(1, 'Isolation', info.isolation);
}

function describeBody(w: DescribeWriter, o: ApiObject): void {
  switch (o.kind) {
    case 'Service': {
      const s = o as Service;
      w.pair(0, 'Selector', mapLines(s.spec.selector).join(','));
      w.pair(0, 'Type', s.spec.type ?? 'ClusterIP');
      for (const p of s.spec.ports) {
        w.pair(0, 'Port', `${p.name ?? '<unset>'}  ${p.port}/${p.protocol ?? 'TCP'}`);
        w.pair(0, 'TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
      }
      break;
    }
    case 'ReplicaSet': {
      const r = o as ReplicaSet;
      w.pair(0, 'Selector', selectorText(r.spec.selector));
      const owner = (r.metadata.ownerReferences ?? []).find((x) => x.controller === true);
      w.pair(0, 'Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
      w.pair(0, 'Replicas', `${r.status?.replicas ?? 0} current / ${r.spec.replicas ?? 1} desired`);
      w.text(0, 'Pod Template:');
      w.pair(1, 'Labels', mapLines(r.spec.template.metadata?.labels));
      containers(w, r.spec.template.spec.containers, 1);
      break;
    }
    case 'ConfigMap':
      w.text(0, 'Data').text(0, '====');
      for (const [k, v] of Object.entries((o as ConfigMap).data ?? {})) w.text(0, `${k}:`).text(0, '----').text(0, v);
      break;
    case 'Secret':
      w.pair(0, 'Type', (o as Secret).type ?? 'Opaque');
      w.text(0, 'Data').text(0, '====');
      for (const [k, v] of Object.entries((o as Secret).data ?? {})) w.pair(0, k, `${Buffer.from(v, 'base64').length} bytes`);
      break;
    default: {
      const rec = o as unknown as Record<string, unknown>;
      for (const key of ['spec', 'status', 'data', 'subsets']) {
        if (rec[key] === undefined) continue;
        w.text(0, `${key[0]!.toUpperCase()}${key.slice(1)}:`);
        for (const line of toYaml(rec[key]).split('\n')) w.text(1, line);
      }
    }
  }
}

async function eventsFor(ctx: CtlContext, o: ApiObject): Promise<Event[]> {
  const ns = o.metadata.namespace ?? '';
  const sel = [`involvedObject.name=${o.metadata.name}`, `involvedObject.kind=${o.kind}`];
  if (ns !== '') sel.push(`involvedObject.namespace=${ns}`);
  try {
    const list = await ctx.client.list<Event>(pathOf(EVENTS, ns), { fieldSelector: sel.join(',') });
    return list.items.filter((e) => e.involvedObject.uid === undefined || o.metadata.uid === undefined || e.involvedObject.uid === o.metadata.uid);
  } catch (e) {
    if (e instanceof ServerError && e.status === 403) return [];
    throw e;
  }
}

/** The describe text of one object (lines). */
export async function describeObject(ctx: CtlContext, info: ResourceInfo, o: ApiObject): Promise<string[]> {
  const w = new DescribeWriter();
  head(w, o, info);
  if (o.kind === 'Pod') describePod(w, o as Pod);
  else if (o.kind === 'Deployment') await describeDeployment(ctx, w, o as Deployment);
  else if (o.kind === 'Node') describeNode(w, o as Node);
  else describeBody(w, o);
  if (o.kind !== 'Event') writeEvents(w, await eventsFor(ctx, o), ctx.now());
  return w.render();
}

export async function runDescribe(ctx: CtlContext): Promise<number> {
  const p = ctx.args.positionals;
  const first = p[0];
  if (first === undefined) throw new UsageError('you must specify the type of resource to describe, e.g. vigil ctl describe pod web-1');
  const { kind, name } = splitKindName(first);
  const info = resolveKind(kind);
  const ns = nsFor(ctx, info);
  const names = name !== '' ? [name] : [...p.slice(1)];
  let objs: ApiObject[] = [];
  let failed = 0;
  if (names.length === 0) {
    const sel = flagString(ctx.args, 'selector');
    objs = (await ctx.client.list(pathOf(info, ns), sel !== '' ? { labelSelector: sel } : {})).items;
    if (objs.length === 0) ctx.io.err(info.namespaced ? `No resources found in ${ns} namespace.` : 'No resources found');
  } else {
    for (const n of names) {
      try {
        objs.push(await ctx.client.get(pathOf(info, ns, n)));
      } catch (e) {
        if (!(e instanceof ServerError)) throw e;
        ctx.io.err(e.display());
        failed++;
      }
    }
  }
  for (let i = 0; i < objs.length; i++) {
    if (i > 0) ctx.io.log('');
    for (const line of await describeObject(ctx, info, objs[i]!)) ctx.io.log(line);
  }
  return failed > 0 ? 1 : 0;
}
