/**
 * What the Services page derives without the DOM: a Service's endpoint
 * addresses and the PromQL of its request-rate chart.
 */
import { arr, type Json, obj, str } from '../decode.js';
import { quote } from '../format.js';

export interface EndpointCounts {
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

/** A Prometheus label name for a Kubernetes label key, as the scrape jobs' `labelmap` writes it. */
export function promLabelName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** The PromQL of a Service's chart: proxy connections/s by port, and its pods' requests/s by code. */
export function serviceChartQueries(namespace: string, name: string, selector: Record<string, string>): { proxy: string; requests: string } {
  const sel = [`namespace=${quote(namespace)}`, ...Object.keys(selector).sort().map((k) => `${promLabelName(k)}=${quote(selector[k] ?? '')}`)].join(', ');
  return {
    proxy: `sum by (port) (rate(vigil_service_proxy_connections_total{service=${quote(`${namespace}/${name}`)}}[1m]))`,
    requests: `sum by (code) (rate(http_requests_total{${sel}}[1m]))`,
  };
}
