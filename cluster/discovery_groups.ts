/**
 * Pure builders of scrape target groups from cluster objects, in the shape of
 * Prometheus's Kubernetes SD with `__meta_vigil_` in place of `__meta_kubernetes_`
 * (see scrape/discovery/cluster_discovery.ts for the contract). Each builder maps
 * one object to one group whose `source` is stable per object (`pod/<ns>/<name>`),
 * so a caller can diff successive snapshots by source.
 *
 * Vigil pods share their node's network and may listen on ports the agent
 * allocates; the real port of a declared container port is read from the
 * agent's host-ports annotation (`vigil.dev/host-ports`), falling back to a
 * fixed `containerPort`. A port with neither (not published yet) is left out.
 */
import type { Endpoints, Node, Pod, Service, StringMap } from './api/objects.js';
import { HOST_PORTS_ANNOTATION } from './agent/service_proxy.js';
import type { TargetGroup } from '../scrape/discovery/target_group.js';

const P = '__meta_vigil_';

/** Label-name form of a Kubernetes label/annotation key: every character outside `[a-zA-Z0-9_]` becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function addMap(out: Record<string, string>, prefix: string, kind: 'label' | 'annotation', m: StringMap | undefined): void {
  for (const [k, v] of Object.entries(m ?? {})) {
    const n = sanitizeLabelName(k);
    out[`${P}${prefix}_${kind}_${n}`] = v;
    out[`${P}${prefix}_${kind}present_${n}`] = 'true';
  }
}

const hostPort = (host: string, port: number | string): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
const bool = (b: boolean): string => (b ? 'true' : 'false');

/** The node's address: its InternalIP, else its Hostname address, else ''. */
function nodeAddress(n: Node): string {
  const a = n.status?.addresses ?? [];
  return a.find((x) => x.type === 'InternalIP')?.address ?? a.find((x) => x.type === 'Hostname')?.address ?? '';
}

/** Role `node`: one target, the node agent's HTTP endpoint (its `/metrics`). */
export function nodeGroup(n: Node): TargetGroup {
  const source = `node/${n.metadata.name}`;
  const addr = nodeAddress(n);
  const port = n.status?.daemonEndpoints?.agentEndpoint.Port ?? 0;
  if (addr === '' || port === 0) return { source, labels: {}, targets: [] };
  const labels: Record<string, string> = { [`${P}node_name`]: n.metadata.name, [`${P}node_address`]: addr, instance: n.metadata.name };
  addMap(labels, 'node', 'label', n.metadata.labels);
  addMap(labels, 'node', 'annotation', n.metadata.annotations);
  for (const a of n.status?.addresses ?? []) labels[`${P}node_address_${a.type}`] = a.address;
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  labels[`${P}node_ready`] = bool(ready?.status === 'True');
  return { source, labels, targets: [{ __address__: hostPort(addr, port) }] };
}

/** The host ports the agent published for a pod (`{ name | containerPort: port }`); empty when absent or malformed. */
export function publishedPorts(p: Pod): Record<string, number> {
  const text = p.metadata.annotations?.[HOST_PORTS_ANNOTATION];
  if (text === undefined) return {};
  try {
    const o: unknown = JSON.parse(text);
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/** Labels every target of a pod shares. */
export function podLabels(p: Pod): Record<string, string> {
  const ns = p.metadata.namespace ?? 'default';
  const out: Record<string, string> = {
    [`${P}namespace`]: ns,
    [`${P}pod_name`]: p.metadata.name,
    [`${P}pod_ip`]: p.status?.podIP ?? '',
    [`${P}pod_host_ip`]: p.status?.hostIP ?? '',
    [`${P}pod_node_name`]: p.spec.nodeName ?? '',
    [`${P}pod_phase`]: p.status?.phase ?? 'Pending',
    [`${P}pod_ready`]: bool(p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'),
    [`${P}pod_uid`]: p.metadata.uid ?? '',
  };
  addMap(out, 'pod', 'label', p.metadata.labels);
  addMap(out, 'pod', 'annotation', p.metadata.annotations);
  const owner = p.metadata.ownerReferences?.find((o) => o.controller === true);
  if (owner !== undefined) {
    out[`${P}pod_controller_kind`] = owner.kind;
    out[`${P}pod_controller_name`] = owner.name;
  }
  return out;
}

/** The port a container port really listens on (published host port, else fixed containerPort), or 0. */
export function realPort(published: Record<string, number>, cp: { name?: string; containerPort?: number; hostPort?: number }): number {
  if (cp.name !== undefined && cp.name !== '' && published[cp.name] !== undefined) return published[cp.name] ?? 0;
  if (cp.containerPort !== undefined && cp.containerPort > 0) return published[String(cp.containerPort)] ?? cp.containerPort;
  return cp.hostPort ?? 0;
}

/**
 * Role `pod`: one target per declared container port at `<podIP>:<port>`, and one per
 * container without ports at `<podIP>`. Pods without an IP yet (unscheduled, pending)
 * give an empty group.
 */
export function podGroup(p: Pod): TargetGroup {
  const ns = p.metadata.namespace ?? 'default';
  const source = `pod/${ns}/${p.metadata.name}`;
  const ip = p.status?.podIP ?? '';
  if (ip === '') return { source, labels: {}, targets: [] };
  const published = publishedPorts(p);
  const targets: Record<string, string>[] = [];
  for (const c of p.spec.containers) {
    const ports = c.ports ?? [];
    if (ports.length === 0) {
      targets.push({ __address__: ip, [`${P}pod_container_name`]: c.name });
      continue;
    }
    for (const cp of ports) {
      const port = realPort(published, cp);
      if (port === 0) continue;
      targets.push({
        __address__: hostPort(ip, port),
        [`${P}pod_container_name`]: c.name,
        [`${P}pod_container_port_name`]: cp.name ?? '',
        [`${P}pod_container_port_number`]: String(port),
        [`${P}pod_container_port_protocol`]: cp.protocol ?? 'TCP',
      });
    }
  }
  return { source, labels: podLabels(p), targets };
}

function serviceLabels(s: Service): Record<string, string> {
  const out: Record<string, string> = { [`${P}namespace`]: s.metadata.namespace ?? 'default', [`${P}service_name`]: s.metadata.name };
  addMap(out, 'service', 'label', s.metadata.labels);
  addMap(out, 'service', 'annotation', s.metadata.annotations);
  return out;
}

/** Role `service`: one target per Service port at `<service>.<namespace>:<port>`. */
export function serviceGroup(s: Service): TargetGroup {
  const ns = s.metadata.namespace ?? 'default';
  const targets = s.spec.ports.map((p) => ({
    __address__: `${s.metadata.name}.${ns}:${p.port}`,
    [`${P}service_port_name`]: p.name ?? '',
    [`${P}service_port_number`]: String(p.port),
    [`${P}service_port_protocol`]: p.protocol ?? 'TCP',
  }));
  return { source: `svc/${ns}/${s.metadata.name}`, labels: { ...serviceLabels(s), [`${P}service_type`]: s.spec.type ?? 'ClusterIP' }, targets };
}

/**
 * Role `endpoints`: one target per endpoint address and port, ready ones and not-ready
 * ones (`__meta_vigil_endpoint_ready`), with the Service's labels (when it exists) and,
 * for addresses backed by a known pod, the pod's labels.
 */
export function endpointsGroup(ep: Endpoints, svc: Service | undefined, podOf: (ns: string, name: string) => Pod | undefined): TargetGroup {
  const ns = ep.metadata.namespace ?? 'default';
  const labels: Record<string, string> = svc !== undefined ? serviceLabels(svc) : { [`${P}namespace`]: ns };
  labels[`${P}endpoints_name`] = ep.metadata.name;
  addMap(labels, 'endpoints', 'label', ep.metadata.labels);
  const targets: Record<string, string>[] = [];
  for (const sub of ep.subsets ?? []) {
    const addrs = [...(sub.addresses ?? []).map((a) => [a, true] as const), ...(sub.notReadyAddresses ?? []).map((a) => [a, false] as const)];
    for (const [a, ready] of addrs) {
      for (const port of sub.ports ?? []) {
        const t: Record<string, string> = {
          __address__: hostPort(a.ip, port.port),
          [`${P}endpoint_ready`]: bool(ready),
          [`${P}endpoint_port_name`]: port.name ?? '',
          [`${P}endpoint_port_protocol`]: port.protocol ?? 'TCP',
        };
        if (a.nodeName !== undefined) t[`${P}endpoint_node_name`] = a.nodeName;
        if (a.targetRef !== undefined) {
          t[`${P}endpoint_address_target_kind`] = a.targetRef.kind;
          t[`${P}endpoint_address_target_name`] = a.targetRef.name;
          const pod = podOf(a.targetRef.namespace, a.targetRef.name);
          if (pod !== undefined) Object.assign(t, podLabels(pod));
        }
        targets.push(t);
      }
    }
  }
  return { source: `endpoints/${ns}/${ep.metadata.name}`, labels, targets };
}
