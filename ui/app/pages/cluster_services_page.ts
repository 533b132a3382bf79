/**
 * Cluster → Services (`/cluster/services?service=NS/NAME`): each Service's type,
 * ports, selector, its endpoints from the Endpoints object of the same name —
 * ready and not-ready addresses, each naming its pod — and the current rate of
 * connections through the node agents' Service proxies
 * (`vigil_service_proxy_connections_total`). Live (polled). For the selected
 * Service (click a row; default the first) a live chart of connections/s
 * through the proxy and requests/s its pods report (`http_requests_total` of
 * the pods its selector matches, by status code).
 */
import { apiGet } from '../api.js';
import { age, kubeList, objectKey } from '../cluster/kube_api.js';
import { type LiveChart, liveChart } from '../cluster/live_chart.js';
import { endpointAddresses, serviceChartQueries } from '../cluster/service_state.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { arr, type Json, labelMap, num, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { formatValue } from '../format.js';
import type { PageContext } from '../routes.js';
import { labelPills } from './page_loader.js';

export const PROXY_RATE_QUERY = 'sum by (service) (rate(vigil_service_proxy_connections_total[1m]))';

function rateText(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${formatValue(Math.round(v * 100) / 100)}/s`;
}

function serviceRow(svc: Json, ep: Json | undefined, rate: number | undefined, selected: boolean, select: (key: string) => void): HTMLTableRowElement {
  const md = obj(svc.metadata);
  const spec = obj(svc.spec);
  const ports = arr(spec.ports)
    .map(obj)
    .map((p) => `${str(p.name) === '' ? '' : `${str(p.name)}:`}${str(p.port)}→${str(p.targetPort) || str(p.port)}/${str(p.protocol) || 'TCP'}`);
  const e = endpointAddresses(ep);
  const row = h(
    'tr',
    { class: `service-row${selected ? ' selected' : ''}`, 'data-name': str(md.name), 'data-namespace': str(md.namespace), title: 'Show its request rate' },
    h('td', null, str(md.namespace)),
    h('td', { class: 'name' }, str(md.name)),
    h('td', null, str(spec.type) || 'ClusterIP', str(spec.clusterIP) === '' ? null : h('div', { class: 'note' }, str(spec.clusterIP))),
    h('td', null, ports.join(', ')),
    h('td', null, labelPills(labelMap(spec.selector))),
    h('td', { class: 'ready-endpoints' }, badge(String(e.ready.length), e.ready.length > 0 ? 'ok' : 'bad'), ...e.ready.map((a) => h('div', { class: 'note' }, a))),
    h('td', { class: 'notready-endpoints' }, badge(String(e.notReady.length), e.notReady.length > 0 ? 'pending' : 'neutral'), ...e.notReady.map((a) => h('div', { class: 'note' }, a))),
    h('td', { class: 'proxy-rate' }, rateText(rate)),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
  row.addEventListener('click', () => select(objectKey(svc)));
  return row;
}

/** `namespace/name` → proxy connections/s now; empty when the metric is not stored (yet). */
async function proxyRates(signal: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const r = await apiGet('api/v1/query', new URLSearchParams({ query: PROXY_RATE_QUERY }), signal);
    for (const s of arr(obj(r.data).result)) out.set(labelMap(obj(s).metric).service ?? '', num(arr(obj(s).value)[1]));
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
  }
  return out;
}

export function clusterServicesPage(root: HTMLElement, ctx: PageContext): () => void {
  let selected = ctx.url.searchParams.get('service') ?? '';
  let chartFor = '';
  let chart: LiveChart | null = null;
  const chartTitle = h('h2', { class: 'chart-title' });
  const chartBox = h('div', { class: 'service-chart-box' });
  const showChart = (svc: Json) => {
    const key = objectKey(svc);
    const selector = labelMap(obj(svc.spec).selector);
    const sig = `${key}\n${JSON.stringify(selector)}`;
    if (sig === chartFor) return;
    chartFor = sig;
    chart?.stop();
    const md = obj(svc.metadata);
    const q = serviceChartQueries(str(md.namespace), str(md.name), selector);
    replaceChildren(chartTitle, `Requests to ${key}, last 15 minutes`);
    chart = liveChart({
      queries: [
        { expr: q.proxy, label: (m) => `connections/s through the proxy (port ${m.port ?? ''})` },
        { expr: q.requests, label: (m) => `requests/s its pods served (code ${m.code ?? ''})` },
      ],
      empty: 'No data yet: no connections through the Service proxy and no http_requests_total from its pods are stored.',
      height: 220,
      cls: 'service-chart',
      leftFormat: (v) => `${formatValue(Math.round(v * 100) / 100)}/s`,
    });
    replaceChildren(chartBox, chart.el);
  };
  const select = (key: string) => {
    selected = key;
    ctx.replaceQuery(new URLSearchParams({ service: key }));
    view.refresh();
  };
  const view = liveView(root, 'api/v1/services', async (signal) => {
    const [services, endpoints, rates] = await Promise.all([kubeList('api/v1/services', signal), kubeList('api/v1/endpoints', signal), proxyRates(signal)]);
    const byKey = new Map(endpoints.map((e) => [objectKey(e), e] as const));
    services.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
    // The first Service with a selector is a better default than `default/kubernetes`-like ones.
    if (!services.some((s) => objectKey(s) === selected)) selected = objectKey(services.find((s) => Object.keys(obj(obj(s.spec).selector)).length > 0) ?? services[0] ?? {});
    const cur = services.find((s) => objectKey(s) === selected);
    if (cur !== undefined) showChart(cur);
    return dataTable(
      'services-table',
      ['Namespace', 'Service', 'Type', 'Ports', 'Selector', 'Ready endpoints', 'Not ready', 'Proxy connections', 'Age'],
      services.map((s) => serviceRow(s, byKey.get(objectKey(s)), rates.get(objectKey(s)), objectKey(s) === selected, select)),
      'No services.',
    );
  });
  root.appendChild(chartTitle);
  root.appendChild(chartBox);
  return () => {
    view.stop();
    chart?.stop();
  };
}
