/**
 * Cluster → Pods (`/cluster/pods?namespace=NS`): every pod (or those of one
 * namespace, filtered on the server) with its phase, ready containers,
 * restarts, node, IP and age. Live (polled); the namespace filter is kept in
 * the URL.
 */
import { age, kubeList } from '../cluster/kube_api.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { arr, type Json, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import type { PageContext } from '../routes.js';

function phaseTone(phase: string): 'ok' | 'bad' | 'pending' | 'neutral' {
  if (phase === 'Running' || phase === 'Succeeded') return 'ok';
  if (phase === 'Failed') return 'bad';
  return 'pending';
}

function podRow(p: Json): HTMLTableRowElement {
  const md = obj(p.metadata);
  const st = obj(p.status);
  const statuses = arr(st.containerStatuses).map(obj);
  const total = Math.max(arr(obj(p.spec).containers).length, statuses.length);
  const ready = statuses.filter((c) => c.ready === true).length;
  const restarts = statuses.reduce((s, c) => s + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);
  const waiting = statuses.map((c) => str(obj(obj(c.state).waiting).reason)).find((r) => r !== '') ?? '';
  const phase = str(st.phase) || 'Pending';
  const terminating = str(md.deletionTimestamp) !== '';
  return h(
    'tr',
    { class: 'pod-row', 'data-name': str(md.name), 'data-namespace': str(md.namespace) },
    h('td', null, str(md.namespace)),
    h('td', { class: 'name' }, str(md.name)),
    h('td', null, badge(terminating ? 'Terminating' : phase, terminating ? 'pending' : phaseTone(phase)), waiting !== '' ? h('div', { class: 'note' }, waiting) : null, str(st.reason) !== '' ? h('div', { class: 'note' }, str(st.reason)) : null),
    h('td', { class: 'ready' }, `${ready}/${total}`),
    h('td', { class: 'restarts' }, String(restarts)),
    h('td', { class: 'node' }, str(obj(p.spec).nodeName) || '—'),
    h('td', null, str(st.podIP) || '—'),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
}

export function clusterPodsPage(root: HTMLElement, ctx: PageContext): () => void {
  let namespace = ctx.url.searchParams.get('namespace') ?? '';
  const select = h('select', { class: 'namespace-filter', 'aria-label': 'Namespace' });
  const fillNamespaces = (names: readonly string[]) => {
    const all = [...new Set([...names, ...(namespace === '' ? [] : [namespace])])].sort();
    replaceChildren(select, h('option', { value: '' }, 'All namespaces'), ...all.map((n) => h('option', { value: n }, n)));
    select.value = namespace;
  };
  fillNamespaces([]);
  root.appendChild(h('div', { class: 'toolbar' }, h('label', null, 'Namespace ', select)));
  let known = '';
  const view = liveView(root, 'api/v1/pods', async (signal) => {
    const path = namespace === '' ? 'api/v1/pods' : `api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    const [pods, namespaces] = await Promise.all([kubeList(path, signal), kubeList('api/v1/namespaces', signal).catch(() => [] as Json[])]);
    const names = namespaces.map((n) => str(obj(n.metadata).name)).filter((n) => n !== '');
    // Only rebuild the options when the set changed, so an open dropdown is not disturbed.
    if (names.join('\n') !== known && document.activeElement !== select) {
      known = names.join('\n');
      fillNamespaces(names);
    }
    pods.sort((a, b) => (str(obj(a.metadata).namespace) + '/' + str(obj(a.metadata).name)).localeCompare(str(obj(b.metadata).namespace) + '/' + str(obj(b.metadata).name)));
    return dataTable('pods-table', ['Namespace', 'Pod', 'Phase', 'Ready', 'Restarts', 'Node', 'IP', 'Age'], pods.map(podRow), namespace === '' ? 'No pods.' : `No pods in namespace ${namespace}.`);
  });
  select.addEventListener('change', () => {
    namespace = select.value;
    const q = new URLSearchParams();
    if (namespace !== '') q.set('namespace', namespace);
    ctx.replaceQuery(q);
    view.refresh();
  });
  return () => view.stop();
}
