/**
 * Cluster → Services (`/cluster/services`): each Service's type, ports,
 * selector, and its endpoints from the Endpoints object of the same name —
 * ready and not-ready addresses, each naming its pod. Live (polled).
 */
import { age, kubeList, objectKey } from '../cluster/kube_api.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { arr, type Json, labelMap, obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';
import { labelPills } from './page_loader.js';

interface EndpointCounts {
  ready: string[];
  notReady: string[];
}

/** Ready and not-ready addresses (`ip (pod)`) of an Endpoints object. */
export function endpointAddresses(ep: Json | undefined): EndpointCounts {
  const out: EndpointCounts = { ready: [], notReady: [] };
  if (ep === undefined) return out;
  const fmt = (a: unknown) => {
    const o = obj(a);
    const pod = str(obj(o.targetRef).name);
    return pod === '' ? str(o.ip) : `${str(o.ip)} (${pod})`;
  };
  for (const s of arr(ep.subsets)) {
    const so = obj(s);
    for (const a of arr(so.addresses)) out.ready.push(fmt(a));
    for (const a of arr(so.notReadyAddresses)) out.notReady.push(fmt(a));
  }
  return out;
}

function serviceRow(svc: Json, ep: Json | undefined): HTMLTableRowElement {
  const md = obj(svc.metadata);
  const spec = obj(svc.spec);
  const ports = arr(spec.ports)
    .map(obj)
    .map((p) => `${str(p.name) === '' ? '' : `${str(p.name)}:`}${str(p.port)}→${str(p.targetPort) || str(p.port)}/${str(p.protocol) || 'TCP'}`);
  const e = endpointAddresses(ep);
  return h(
    'tr',
    { class: 'service-row', 'data-name': str(md.name), 'data-namespace': str(md.namespace) },
    h('td', null, str(md.namespace)),
    h('td', { class: 'name' }, str(md.name)),
    h('td', null, str(spec.type) || 'ClusterIP', str(spec.clusterIP) === '' ? null : h('div', { class: 'note' }, str(spec.clusterIP))),
    h('td', null, ports.join(', ')),
    h('td', null, labelPills(labelMap(spec.selector))),
    h('td', { class: 'ready-endpoints' }, badge(String(e.ready.length), e.ready.length > 0 ? 'ok' : 'bad'), ...e.ready.map((a) => h('div', { class: 'note' }, a))),
    h('td', { class: 'notready-endpoints' }, badge(String(e.notReady.length), e.notReady.length > 0 ? 'pending' : 'neutral'), ...e.notReady.map((a) => h('div', { class: 'note' }, a))),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
}

export function clusterServicesPage(root: HTMLElement, _ctx: PageContext): () => void {
  const view = liveView(root, 'api/v1/services', async (signal) => {
    const [services, endpoints] = await Promise.all([kubeList('api/v1/services', signal), kubeList('api/v1/endpoints', signal)]);
    const byKey = new Map(endpoints.map((e) => [objectKey(e), e] as const));
    services.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
    return dataTable('services-table', ['Namespace', 'Service', 'Type', 'Ports', 'Selector', 'Ready endpoints', 'Not ready', 'Age'], services.map((s) => serviceRow(s, byKey.get(objectKey(s)))), 'No services.');
  });
  return () => view.stop();
}
