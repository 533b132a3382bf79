/**
 * What the pod details derive without the DOM: the PromQL of a pod's charts and
 * the path of its logs tail (the cluster API's `pods/<name>/log` subresource).
 */
import { quote } from '../format.js';

export const TAIL_LINES = 200;
export const LOG_POLL_MS = 3000;

/** The PromQL of a pod's charts. */
export function podChartQueries(namespace: string, pod: string): { cpu: string; memory: string } {
  const sel = `namespace=${quote(namespace)}, pod=${quote(pod)}`;
  return { cpu: `sum by (container) (rate(vigil_pod_cpu_seconds_total{${sel}}[1m]))`, memory: `sum by (container) (vigil_pod_memory_bytes{${sel}})` };
}

/** The log path of a container, relative to `<base href>`. */
export function podLogPath(namespace: string, pod: string, container: string, tailLines: number = TAIL_LINES): string {
  const q = new URLSearchParams({ container, tailLines: String(tailLines) });
  return `api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${q.toString()}`;
}
