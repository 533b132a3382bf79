/**
 * Cluster → Pods (`/cluster/pods?namespace=NS&pod=NS/NAME`): every pod (or those
 * of one namespace, filtered on the server) with its phase, ready containers,
 * restarts, node, IP, age and current CPU and memory (instant queries over the
 * node agents' `vigil_pod_*` metrics). Live (polled); the namespace filter and
 * the selected pod are kept in the URL. Clicking a row shows the pod's details
 * below (pod_details.ts): containers, live CPU/memory charts and a logs tail.
 */
import { apiGet } from '../api.js';
import { age, formatBytes, formatCpu, kubeList } from '../cluster/kube_api.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { podDetails } from '../cluster/pod_details.js';
import { arr, type Json, labelMap, num, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import type { PageContext } from '../routes.js';

/** Current usage per `namespace/pod`. */
type Usage = Map<string, number>;

/** `namespace/pod` → value of an instant vector summed by namespace and pod; empty on failure (metrics not there yet). */
async function usageBy(expr: string, signal: AbortSignal): Promise<Usage> {
  const out: Usage = new Map();
  try {
    const r = await apiGet('api/v1/query', new URLSearchParams({ query: expr }), signal);
    for (const s of arr(obj(r.data).result)) {
      const m = labelMap(obj(s).metric);
      out.set(`${m.namespace ?? ''}/${m.pod ?? ''}`, num(arr(obj(s).value)[1]));
    }
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
  }
  return out;
}

export const POD_CPU_QUERY = 'sum by (namespace, pod) (rate(vigil_pod_cpu_seconds_total[1m]))';
export const POD_MEMORY_QUERY = 'sum by (namespace, pod) (vigil_pod_memory_bytes)';

function phaseTone(phase: string): 'ok' | 'bad' | 'pending' | 'neutral' {
  if (phase === 'Running' || phase === 'Succeeded') return 'ok';
  if (phase === 'Failed') return 'bad';
  return 'pending';
}

function podRow(p: Json, cpu: Usage, mem: Usage, selected: boolean, select: (key: string) => void): HTMLTableRowElement {
  const md = obj(p.metadata);
  const key = `${str(md.namespace)}/${str(md.name)}`;
  const st = obj(p.status);
  const statuses = arr(st.containerStatuses).map(obj);
  const total = Math.max(arr(obj(p.spec).containers).length, statuses.length);
  const ready = statuses.filter((c) => c.ready === true).length;
  const restarts = statuses.reduce((s, c) => s + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);
  const waiting = statuses.map((c) => str(obj(obj(c.state).waiting).reason)).find((r) => r !== '') ?? '';
  const phase = str(st.phase) || 'Pending';
  const terminating = str(md.deletionTimestamp) !== '';
  const row = h(
    'tr',
    { class: `pod-row${selected ? ' selected' : ''}`, 'data-name': str(md.name), 'data-namespace': str(md.namespace), title: 'Show charts and logs' },
    h('td', null, str(md.namespace)),
    h('td', { class: 'name' }, str(md.name)),
    h('td', null, badge(terminating ? 'Terminating' : phase, terminating ? 'pending' : phaseTone(phase)), waiting !== '' ? h('div', { class: 'note' }, waiting) : null, str(st.reason) !== '' ? h('div', { class: 'note' }, str(st.reason)) : null),
    h('td', { class: 'ready' }, `${ready}/${total}`),
    h('td', { class: 'restarts' }, String(restarts)),
    h('td', { class: 'node' }, str(obj(p.spec).nodeName) || '—'),
    h('td', null, str(st.podIP) || '—'),
    h('td', { class: 'cpu' }, formatCpu(cpu.get(key) ?? Number.NaN)),
    h('td', { class: 'memory' }, formatBytes(mem.get(key) ?? Number.NaN)),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
  row.addEventListener('click', () => select(key));
  return row;
}

export function clusterPodsPage(root: HTMLElement, ctx: PageContext): () => void {
  let namespace = ctx.url.searchParams.get('namespace') ?? '';
  let selected = ctx.url.searchParams.get('pod') ?? '';
  const select = h('select', { class: 'namespace-filter', 'aria-label': 'Namespace' });
  const fillNamespaces = (names: readonly string[]) => {
    const all = [...new Set([...names, ...(namespace === '' ? [] : [namespace])])].sort();
    replaceChildren(select, h('option', { value: '' }, 'All namespaces'), ...all.map((n) => h('option', { value: n }, n)));
    select.value = namespace;
  };
  fillNamespaces([]);
  root.appendChild(h('div', { class: 'toolbar' }, h('label', null, 'Namespace ', select), h('span', { class: 'note' }, 'Click a pod for its charts and logs.')));
  const detailsBox = h('div', { class: 'pod-details-box' });
  let details: { key: string; node: string; d: ReturnType<typeof podDetails> } | null = null;
  const writeUrl = () => {
    const q = new URLSearchParams();
    if (namespace !== '') q.set('namespace', namespace);
    if (selected !== '') q.set('pod', selected);
    ctx.replaceQuery(q);
  };
  /** Shows (or refreshes) the details of the selected pod; drops them when it is gone. */
  const showDetails = (pods: readonly Json[]) => {
    const pod = pods.find((p) => `${str(obj(p.metadata).namespace)}/${str(obj(p.metadata).name)}` === selected);
    if (pod === undefined) {
      details?.d.stop();
      details = null;
      replaceChildren(detailsBox, selected === '' ? null : h('div', { class: 'note' }, `Pod ${selected} is not in this list (deleted, or filtered out).`));
      return;
    }
    // Rebuilt when the pod gets its node, so its logs tail starts.
    if (details !== null && details.key === selected && details.node === str(obj(pod.spec).nodeName)) {
      details.d.update(pod);
      return;
    }
    details?.d.stop();
    details = { key: selected, node: str(obj(pod.spec).nodeName), d: podDetails(pod) };
    replaceChildren(detailsBox, details.d.el);
  };
  const choose = (key: string) => {
    selected = key;
    writeUrl();
    for (const tr of root.querySelectorAll<HTMLTableRowElement>('tr.pod-row')) tr.classList.toggle('selected', `${tr.dataset.namespace ?? ''}/${tr.dataset.name ?? ''}` === key);
    view.refresh();
  };
  let known = '';
  const view = liveView(root, 'api/v1/pods', async (signal) => {
    const path = namespace === '' ? 'api/v1/pods' : `api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    const [pods, namespaces, cpu, mem] = await Promise.all([kubeList(path, signal), kubeList('api/v1/namespaces', signal).catch(() => [] as Json[]), usageBy(POD_CPU_QUERY, signal), usageBy(POD_MEMORY_QUERY, signal)]);
    const names = namespaces.map((n) => str(obj(n.metadata).name)).filter((n) => n !== '');
    // Only rebuild the options when the set changed, so an open dropdown is not disturbed.
    if (names.join('\n') !== known && document.activeElement !== select) {
      known = names.join('\n');
      fillNamespaces(names);
    }
    pods.sort((a, b) => (str(obj(a.metadata).namespace) + '/' + str(obj(a.metadata).name)).localeCompare(str(obj(b.metadata).namespace) + '/' + str(obj(b.metadata).name)));
    showDetails(pods);
    const keyOf = (p: Json) => `${str(obj(p.metadata).namespace)}/${str(obj(p.metadata).name)}`;
    return dataTable('pods-table', ['Namespace', 'Pod', 'Phase', 'Ready', 'Restarts', 'Node', 'IP', 'CPU', 'Memory', 'Age'], pods.map((p) => podRow(p, cpu, mem, keyOf(p) === selected, choose)), namespace === '' ? 'No pods.' : `No pods in namespace ${namespace}.`);
  });
  root.appendChild(detailsBox);
  select.addEventListener('change', () => {
    namespace = select.value;
    writeUrl();
    view.refresh();
  });
  return () => {
    view.stop();
    details?.d.stop();
  };
}
