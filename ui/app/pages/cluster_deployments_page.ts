/**
 * Cluster → Deployments (`/cluster/deployments?deployment=NS/NAME`): each
 * deployment's desired, updated, ready and available replicas and its rollout
 * state (the Progressing and Available conditions), live (polled); and for the
 * selected deployment (click a row; default the first):
 * - a live chart (query_range, last 15 minutes, re-run every 10 s) of desired vs
 *   available replicas (`vigil_deployment_*`), the autoscaler's desired
 *   replicas and decisions (`vigil_autoscaler_*`, when present) and the cluster
 *   actions run for alerts (`vigil_cluster_actions_total`), overlaid on the load
 *   that drove them (requests/s to its pods, right scale), with its Events
 *   (scaling, alert actions, node failures) as vertical markers;
 * - the Events themselves, newest first.
 */
import { deploymentChartSeries, eventTime, isDeploymentEvent, rolloutState } from '../cluster/deployment_state.js';
import { age, condition, kubeList, objectKey, poll } from '../cluster/kube_api.js';
import { type ChartMarker, type LiveChart, liveChart } from '../cluster/live_chart.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { type Json, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { formatValue } from '../format.js';
import type { PageContext } from '../routes.js';
import { errorNote } from './page_loader.js';

const CHART_RANGE_S = 900;
const CHART_STEP_S = 10;
const CHART_POLL_MS = 10_000;
const EVENTS_POLL_MS = 5000;
const MAX_EVENTS = 30;

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

function eventRow(ev: Json): HTMLTableRowElement {
  const o = obj(ev.involvedObject);
  const t = eventTime(ev);
  const type = str(ev.type) || 'Normal';
  return h(
    'tr',
    { class: 'event-row', 'data-reason': str(ev.reason) },
    h('td', { title: Number.isNaN(t) ? '' : new Date(t).toISOString() }, Number.isNaN(t) ? '—' : `${age(new Date(t).toISOString())} ago`),
    h('td', null, badge(type, type === 'Warning' ? 'bad' : 'neutral')),
    h('td', { class: 'reason' }, str(ev.reason)),
    h('td', null, `${str(o.kind)}/${str(o.name)}`),
    h('td', { class: 'message' }, str(ev.message)),
    h('td', null, String(typeof ev.count === 'number' ? ev.count : 1)),
  );
}

/** Events of a deployment worth a marker on its chart: its own (scaling, alert actions) and node failures. */
function markerOf(ev: Json): ChartMarker | null {
  const kind = str(obj(ev.involvedObject).kind);
  const t = eventTime(ev);
  if (Number.isNaN(t) || (kind !== 'Deployment' && kind !== 'Node' && str(ev.type) !== 'Warning')) return null;
  return { t: t / 1000, text: `${str(ev.reason)}: ${str(ev.message)}`, tone: str(ev.type) === 'Warning' || str(ev.reason) === 'NodeNotReady' ? 'warning' : 'normal' };
}

export function clusterDeploymentsPage(root: HTMLElement, ctx: PageContext): () => void {
  let selected = ctx.url.searchParams.get('deployment') ?? '';
  let chartFor = '';
  const chartTitle = h('h2', { class: 'chart-title' });
  const chartBox = h('div', { class: 'deployment-chart-box' });
  const eventsTitle = h('h2', { class: 'chart-title' });
  const eventsBox = h('div', { class: 'deployment-events', 'data-state': 'loading' });
  let chart: LiveChart | null = null;
  let stopEvents: (() => void) | null = null;
  let markers: ChartMarker[] = [];

  const showChart = (key: string) => {
    if (key === chartFor) return;
    chartFor = key;
    chart?.stop();
    stopEvents?.();
    markers = [];
    const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    replaceChildren(chartTitle, `${key}: replicas, scaling decisions and load, last 15 minutes`);
    replaceChildren(eventsTitle, `Events of ${key} (its ReplicaSets and pods) and of nodes`);
    chart = liveChart({
      queries: deploymentChartSeries(ns, name).map((s) => ({ expr: s.expr, label: s.points && s.label.startsWith('cluster') ? (m: Record<string, string>) => `${s.label} (${m.verb ?? ''})` : () => s.label, right: s.right, points: s.points })),
      empty: 'No data yet: the cluster-state metrics (vigil_deployment_*) have not been stored for this deployment. The server stores them once it scrapes its own /metrics.',
      rangeS: CHART_RANGE_S,
      stepS: CHART_STEP_S,
      pollMs: CHART_POLL_MS,
      height: 300,
      cls: 'deployment-chart',
      leftFormat: (v) => (Number.isInteger(v) ? String(v) : ''),
      rightFormat: (v) => `${formatValue(Math.round(v * 100) / 100)}/s`,
      markers: () => markers,
    });
    replaceChildren(chartBox, chart.el);
    stopEvents = poll(async (signal) => {
      try {
        const [own, nodes] = await Promise.all([kubeList(`api/v1/namespaces/${encodeURIComponent(ns)}/events`, signal), kubeList('api/v1/events?fieldSelector=involvedObject.kind%3DNode', signal).catch(() => [] as Json[])]);
        if (signal.aborted) return;
        const seen = new Set<string>();
        const events = [...own, ...nodes]
          .filter((e) => {
            const k = objectKey(e);
            if (seen.has(k)) return false;
            seen.add(k);
            return isDeploymentEvent(e, ns, name);
          })
          .sort((a, b) => (eventTime(b) || 0) - (eventTime(a) || 0));
        markers = events.map(markerOf).filter((m): m is ChartMarker => m !== null);
        chart?.redraw();
        eventsBox.dataset.state = 'loaded';
        eventsBox.dataset.markers = String(markers.length);
        replaceChildren(eventsBox, dataTable('events-table', ['Last seen', 'Type', 'Reason', 'Object', 'Message', 'Count'], events.slice(0, MAX_EVENTS).map(eventRow), 'No events for this deployment.'));
      } catch (e) {
        if (signal.aborted) return;
        eventsBox.dataset.state = 'error';
        replaceChildren(eventsBox, errorNote(e, `api/v1/namespaces/${ns}/events`));
      }
    }, EVENTS_POLL_MS);
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
  root.appendChild(h('div', { class: 'note chart-legend-note' }, 'Dashed lines: Events (purple: scaling and alert actions, red: warnings and node failures). Points: autoscaler decisions and cluster actions.'));
  root.appendChild(eventsTitle);
  root.appendChild(eventsBox);
  return () => {
    view.stop();
    chart?.stop();
    stopEvents?.();
  };
}
