/**
 * The details of one pod on the Pods page: its containers (state, restarts,
 * last termination), live CPU and memory charts per container (the node
 * agent's `vigil_pod_*` metrics), and a logs tail — the last `TAIL_LINES` lines
 * of a container's log from the cluster API's `pods/<name>/log` subresource,
 * re-read every `LOG_POLL_MS` (and scrolled to the end while the reader is at
 * the end). Log text is set with `textContent`, never parsed as HTML.
 */
import { ApiFailure, apiUrl } from '../api.js';
import { arr, type Json, obj, str } from '../decode.js';
import { h, replaceChildren } from '../dom.js';
import { badge, dataTable } from './live_view.js';
import { formatBytes, formatCpu, poll } from './kube_api.js';
import { BYTE_INCRS, liveChart } from './live_chart.js';
import { LOG_POLL_MS, podChartQueries, podLogPath, TAIL_LINES } from './pod_state.js';

/** GETs a log as text; a Kubernetes Status answer becomes an ApiFailure with its message. */
async function fetchLog(path: string, signal: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { signal, headers: { accept: 'text/plain, application/json' } });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiFailure('network', 0, path, `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  if (res.ok) return text;
  let message = `HTTP ${res.status}`;
  try {
    message = str(obj(JSON.parse(text)).message) || message;
  } catch {
    message = text.slice(0, 300) || message;
  }
  throw new ApiFailure('http', res.status, path, message);
}

/** What a container runs: `command` and `args` when given (Kubernetes' entrypoint override), else its image. */
function commandLine(c: Json): string {
  const words = [...arr(c.command), ...arr(c.args)].map(str);
  return arr(c.command).length > 0 ? words.join(' ') : [str(c.image), ...arr(c.args).map(str)].join(' ');
}

function containerRows(pod: Json): HTMLTableRowElement[] {
  const statuses = new Map(arr(obj(pod.status).containerStatuses).map((c) => [str(obj(c).name), obj(c)] as const));
  return arr(obj(pod.spec).containers).map((c) => {
    const name = str(obj(c).name);
    const st = statuses.get(name) ?? {};
    const state = obj(st.state);
    const [stateName, stateDetail] = state.running !== undefined ? ['running', `since ${str(obj(state.running).startedAt)}`] : state.waiting !== undefined ? ['waiting', str(obj(state.waiting).reason)] : state.terminated !== undefined ? ['terminated', `${str(obj(state.terminated).reason)} (exit ${str(obj(state.terminated).exitCode)})`] : ['unknown', ''];
    const last = obj(obj(st.lastState).terminated);
    return h(
      'tr',
      { class: 'container-row', 'data-name': name },
      h('td', { class: 'name' }, name),
      h('td', null, badge(stateName, stateName === 'running' ? 'ok' : stateName === 'waiting' ? 'pending' : 'bad'), stateDetail === '' ? null : h('div', { class: 'note' }, stateDetail)),
      h('td', null, st.ready === true ? 'yes' : 'no'),
      h('td', { class: 'restarts' }, String(typeof st.restartCount === 'number' ? st.restartCount : 0)),
      h('td', null, Object.keys(last).length === 0 ? '—' : `${str(last.reason)} (exit ${str(last.exitCode)}) at ${str(last.finishedAt)}`),
      h('td', { class: 'note command' }, commandLine(obj(c))),
    );
  });
}

/** The details section of `pod` (namespace/name); `update` refreshes the containers table with a newer copy. */
export function podDetails(pod: Json): { el: HTMLElement; update: (p: Json) => void; stop: () => void } {
  const md = obj(pod.metadata);
  const ns = str(md.namespace);
  const name = str(md.name);
  const containers = arr(obj(pod.spec).containers).map((c) => str(obj(c).name));
  const q = podChartQueries(ns, name);
  const cpu = liveChart({ queries: [{ expr: q.cpu, label: (m) => `${m.container ?? ''} CPU` }], empty: 'No data yet: the node agent\'s vigil_pod_cpu_seconds_total is stored once the server scrapes it.', leftFormat: formatCpu });
  const mem = liveChart({ queries: [{ expr: q.memory, label: (m) => `${m.container ?? ''} memory` }], empty: 'No data yet: the node agent\'s vigil_pod_memory_bytes is stored once the server scrapes it.', leftFormat: formatBytes, leftIncrs: BYTE_INCRS });
  const table = h('div', { class: 'pod-containers' });
  const select = h('select', { class: 'log-container', 'aria-label': 'Container' }, ...containers.map((c) => h('option', { value: c }, c)));
  const logBox = h('pre', { class: 'pod-log', 'data-state': 'loading', tabindex: 0 });
  const logNote = h('div', { class: 'note log-note' });
  const update = (p: Json) => replaceChildren(table, dataTable('containers-table', ['Container', 'State', 'Ready', 'Restarts', 'Last termination', 'Command'], containerRows(p), 'No containers.'));
  update(pod);
  let stopLog = () => {};
  const startLog = () => {
    stopLog();
    logBox.dataset.state = 'loading';
    logBox.textContent = 'Loading…';
    stopLog = poll(async (signal) => {
      const path = podLogPath(ns, name, select.value);
      try {
        const text = await fetchLog(path, signal);
        if (signal.aborted) return;
        const atEnd = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
        logBox.textContent = text === '' ? '(the log is empty)' : text;
        logBox.dataset.state = text === '' ? 'empty' : 'loaded';
        if (atEnd) logBox.scrollTop = logBox.scrollHeight;
        replaceChildren(logNote, `Last ${TAIL_LINES} lines of ${select.value}, refreshed every ${LOG_POLL_MS / 1000}s · ${new Date().toLocaleTimeString()}`);
      } catch (e) {
        if (signal.aborted || (e instanceof DOMException && e.name === 'AbortError')) return;
        logBox.dataset.state = 'error';
        logBox.textContent = `Cannot read the log: ${e instanceof Error ? e.message : String(e)}`;
      }
    }, LOG_POLL_MS);
  };
  select.addEventListener('change', startLog);
  // A pod not bound to a node has no logs yet; the details are rebuilt once it is (see the Pods page).
  if (str(obj(pod.spec).nodeName) !== '') startLog();
  else {
    logBox.dataset.state = 'empty';
    logBox.textContent = '(no logs: the pod is not scheduled to a node yet)';
  }
  const el = h(
    'section',
    { class: 'pod-details', 'data-namespace': ns, 'data-name': name },
    h('h2', { class: 'chart-title' }, `Pod ${ns}/${name}`),
    table,
    h('div', { class: 'chart-grid' }, h('div', { class: 'chart-cell cpu' }, h('div', { class: 'chart-caption' }, 'CPU (cores), last 15 minutes'), cpu.el), h('div', { class: 'chart-cell memory' }, h('div', { class: 'chart-caption' }, 'Memory, last 15 minutes'), mem.el)),
    h('h2', { class: 'chart-title' }, 'Logs ', containers.length > 1 ? select : h('span', { class: 'note' }, containers[0] ?? '')),
    logBox,
    logNote,
  );
  return {
    el,
    update,
    stop: () => {
      stopLog();
      cpu.stop();
      mem.stop();
    },
  };
}
