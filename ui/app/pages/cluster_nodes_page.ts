/**
 * Cluster → Nodes (`/cluster/nodes`): each node's readiness, whether it is
 * cordoned (`spec.unschedulable`), CPU and memory allocated (the sum of the
 * requests of its pods that have not finished) against its allocatable
 * capacity, and its pod count against its pod capacity. Live (polled).
 * Below the table, per node, live CPU and memory charts (last 15 minutes,
 * query_range polled every 5 s) from the node agent's metrics (`vigil-nodes`
 * job, `instance` = node name): the whole node (`vigil_node_*`) and the sum of
 * its pods (`vigil_pod_*`).
 */
import { age, condition, formatBytes, formatCpu, kubeList, parseQuantity } from '../cluster/kube_api.js';
import { allocatedByNode, nodeChartQueries, type Usage } from '../cluster/node_usage.js';
import { BYTE_INCRS, type LiveChart, liveChart } from '../cluster/live_chart.js';
import { badge, dataTable, liveView } from '../cluster/live_view.js';
import { type Json, obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';

function usageCell(used: number, capacity: number, fmt: (v: number) => string): HTMLElement {
  const pct = capacity > 0 && Number.isFinite(capacity) ? Math.round((used / capacity) * 100) : Number.NaN;
  return h(
    'td',
    { class: 'usage' },
    `${fmt(used)} / ${Number.isFinite(capacity) ? fmt(capacity) : '—'}`,
    Number.isFinite(pct) ? h('span', { class: 'meter' }, h('span', { class: `meter-fill${pct > 90 ? ' high' : ''}`, style: `width:${Math.min(100, pct)}%` })) : null,
    Number.isFinite(pct) ? h('span', { class: 'note' }, ` ${pct}%`) : null,
  );
}

function nodeRow(n: Json, used: Usage): HTMLTableRowElement {
  const md = obj(n.metadata);
  const status = obj(n.status);
  const alloc = obj(Object.keys(obj(status.allocatable)).length > 0 ? status.allocatable : status.capacity);
  const ready = condition(status, 'Ready');
  const readyStatus = ready === null ? 'Unknown' : str(ready.status);
  const cordoned = obj(n.spec).unschedulable === true;
  return h(
    'tr',
    { class: 'node-row', 'data-name': str(md.name) },
    h('td', { class: 'name' }, str(md.name)),
    h('td', null, badge(readyStatus === 'True' ? 'Ready' : readyStatus === 'False' ? 'NotReady' : 'Unknown', readyStatus === 'True' ? 'ok' : readyStatus === 'False' ? 'bad' : 'pending'), ready !== null && str(ready.message) !== '' ? h('div', { class: 'note' }, str(ready.message)) : null),
    h('td', null, cordoned ? badge('cordoned', 'pending') : 'no'),
    usageCell(used.cpu, parseQuantity(str(alloc.cpu)), formatCpu),
    usageCell(used.memory, parseQuantity(str(alloc.memory)), formatBytes),
    usageCell(used.pods, parseQuantity(str(alloc.pods)), (v) => String(v)),
    h('td', { title: str(md.creationTimestamp) }, age(str(md.creationTimestamp))),
  );
}

const NO_NODE_DATA = 'No data yet: the node agent\'s metrics (vigil_node_*, vigil_pod_*) are stored once the server scrapes it (job vigil-nodes).';

/** The live charts of one node. */
function nodeCharts(node: string): { el: HTMLElement; stop: () => void } {
  const q = nodeChartQueries(node);
  const cpu: LiveChart = liveChart({
    queries: [
      { expr: q.cpu[0] ?? '', label: () => 'node (all processes)' },
      { expr: q.cpu[1] ?? '', label: () => 'pods' },
    ],
    empty: NO_NODE_DATA,
    leftFormat: formatCpu,
  });
  const mem: LiveChart = liveChart({
    queries: [
      { expr: q.memory[0] ?? '', label: () => 'node in use' },
      { expr: q.memory[1] ?? '', label: () => 'pods' },
    ],
    empty: NO_NODE_DATA,
    leftFormat: formatBytes,
    leftIncrs: BYTE_INCRS,
  });
  const el = h(
    'section',
    { class: 'node-charts', 'data-name': node },
    h('h2', { class: 'chart-title' }, `Node ${node}: live usage, last 15 minutes`),
    h('div', { class: 'chart-grid' }, h('div', { class: 'chart-cell cpu' }, h('div', { class: 'chart-caption' }, 'CPU (cores)'), cpu.el), h('div', { class: 'chart-cell memory' }, h('div', { class: 'chart-caption' }, 'Memory'), mem.el)),
  );
  return {
    el,
    stop: () => {
      cpu.stop();
      mem.stop();
    },
  };
}

export function clusterNodesPage(root: HTMLElement, _ctx: PageContext): () => void {
  const charts = new Map<string, { el: HTMLElement; stop: () => void }>();
  const chartsBox = h('div', { class: 'node-charts-list' });
  /** Keeps one chart pair per node, in name order. */
  const syncCharts = (names: readonly string[]) => {
    for (const [n, c] of charts) {
      if (names.includes(n)) continue;
      c.stop();
      c.el.remove();
      charts.delete(n);
    }
    for (const n of [...names].sort()) {
      let c = charts.get(n);
      if (c === undefined) {
        c = nodeCharts(n);
        charts.set(n, c);
      }
      chartsBox.appendChild(c.el);
    }
  };
  const view = liveView(root, 'api/v1/nodes', async (signal) => {
    const [nodes, pods] = await Promise.all([kubeList('api/v1/nodes', signal), kubeList('api/v1/pods', signal)]);
    const used = allocatedByNode(pods);
    const rows = nodes.map((n) => nodeRow(n, used.get(str(obj(n.metadata).name)) ?? { cpu: 0, memory: 0, pods: 0 }));
    syncCharts(nodes.map((n) => str(obj(n.metadata).name)).filter((n) => n !== ''));
    return dataTable('nodes-table', ['Node', 'Ready', 'Cordoned', 'CPU requested / allocatable', 'Memory requested / allocatable', 'Pods', 'Age'], rows, 'No nodes have registered yet (start `vigil agent` on a machine).');
  });
  root.appendChild(chartsBox);
  return () => {
    view.stop();
    for (const c of charts.values()) c.stop();
  };
}
