/**
 * Cluster → Deployments (`/cluster/deployments?deployment=NS/NAME`): each
 * deployment's desired, updated, ready and available replicas and its rollout
 * state (the Progressing and Available conditions), live (polled); and for the
 * selected deployment (click a row; default the first) a uPlot chart of desired
 * vs available replicas over the last hour from the cluster-state metrics
 * `vigil_deployment_spec_replicas` / `vigil_deployment_status_replicas_available`
 * via `api/v1/query_range`, or "no data yet" while those are not stored.
 */
import { apiGet } from '../api.js';
import { replicasQuery, rolloutState } from '../cluster/deployment_state.js';
import { age, condition, kubeList, objectKey, poll } from '../cluster/kube_api.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { type Json, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { alignMatrix, GraphView } from '../query/graph_view.js';
import type { PageContext } from '../routes.js';
import { errorNote } from './page_loader.js';

const CHART_RANGE_S = 3600;
const CHART_STEP_S = 15;
const CHART_POLL_MS = 15_000;

function count(v: unknown): string {
  return typeof v === 'number' ? String(v) : '0';
}

function deploymentRow(d: Json, selected: boolean, select: (key: string) => void): HTMLTableRowElement {
  const md = obj(d.metadata);
  const st = obj(d.status);
  const r = rolloutState(d);
  const avail = condition(st, 'Available');
  const row = h(
    'tr',
    { class: `deployment-row${selected ? ' selected' : ''}`, 'data-name': str(md.name), 'data-namespace': str(md.namespace), title: 'Show replicas over time' },
    h('td', null, str(md.namespace)),
    h('td', { class: 'name' }, str(md.name)),
    h('td', { class: 'desired' }, count(obj(d.spec).replicas ?? 1)),
    h('td', { class: 'updated' }, count(st.updatedReplicas)),
    h('td', { class: 'ready' }, count(st.readyReplicas)),
    h('td', { class: 'available' }, count(st.availableReplicas)),
    h('td', { class: 'rollout' }, badge(r.text, r.tone), r.detail === '' ? null : h('div', { class: 'note' }, r.detail)),
    h('td', null, avail === null ? '—' : badge(str(avail.status) === 'True' ? 'Available' : 'Unavailable', str(avail.status) === 'True' ? 'ok' : 'bad')),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
  row.addEventListener('click', () => select(objectKey(d)));
  return row;
}

export function clusterDeploymentsPage(root: HTMLElement, ctx: PageContext): () => void {
  let selected = ctx.url.searchParams.get('deployment') ?? '';
  let chartFor = '';
  const chartTitle = h('h2', { class: 'chart-title' });
  const chartBox = h('div', { class: 'deployment-chart', 'data-state': 'idle' });
  let graph: GraphView | null = null;
  let stopChart: (() => void) | null = null;

  const showChart = (key: string) => {
    if (key === chartFor) return;
    chartFor = key;
    stopChart?.();
    const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    replaceChildren(chartTitle, `Replicas of ${key}: desired vs available, last hour`);
    stopChart = poll(async (signal) => {
      const end = Math.floor(Date.now() / 1000);
      const start = end - CHART_RANGE_S;
      const params = new URLSearchParams({ query: replicasQuery(ns, name), start: String(start), end: String(end), step: String(CHART_STEP_S) });
      try {
        const r = await apiGet('api/v1/query_range', params, signal);
        if (signal.aborted) return;
        const m = alignMatrix(obj(r.data).result, start, end, CHART_STEP_S);
        graph?.destroy();
        graph = null;
        if (m.labels.length === 0) {
          chartBox.dataset.state = 'empty';
          replaceChildren(chartBox, h('div', { class: 'empty' }, 'No data yet: the cluster-state metrics (vigil_deployment_*) have not been stored for this deployment. The server stores them once it scrapes its own /metrics.'));
          return;
        }
        graph = new GraphView(m, false);
        chartBox.dataset.state = 'drawn';
        replaceChildren(chartBox, graph.el);
      } catch (e) {
        if (signal.aborted) return;
        chartBox.dataset.state = 'error';
        replaceChildren(chartBox, errorNote(e, 'api/v1/query_range'));
      }
    }, CHART_POLL_MS);
  };

  const select = (key: string) => {
    selected = key;
    const q = new URLSearchParams();
    q.set('deployment', key);
    ctx.replaceQuery(q);
    for (const tr of root.querySelectorAll<HTMLTableRowElement>('tr.deployment-row')) tr.classList.toggle('selected', `${tr.dataset.namespace ?? ''}/${tr.dataset.name ?? ''}` === key);
    showChart(key);
  };

  const view = liveView(root, 'apis/apps/v1/deployments', async (signal) => {
    const deployments = await kubeList('apis/apps/v1/deployments', signal);
    deployments.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
    const keys = deployments.map(objectKey);
    if (!keys.includes(selected)) selected = keys[0] ?? '';
    if (selected !== '') showChart(selected);
    return dataTable(
      'deployments-table',
      ['Namespace', 'Deployment', 'Desired', 'Updated', 'Ready', 'Available', 'Rollout', 'Availability', 'Age'],
      deployments.map((d) => deploymentRow(d, objectKey(d) === selected, select)),
      'No deployments. Create one with `vigil ctl apply -f deployment.yaml`.',
    );
  });
  root.appendChild(chartTitle);
  root.appendChild(chartBox);
  return () => {
    view.stop();
    stopChart?.();
    graph?.destroy();
  };
}
