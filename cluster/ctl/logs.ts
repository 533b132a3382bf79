/**
 * `vigil ctl logs POD [-c CONTAINER] [-f] [--previous] [--tail N]` (also `pod/NAME`).
 *
 * Logs live on the node that runs the pod; ctl reads them through the API
 * server's pod log subresource, `GET /api/v1/namespaces/<ns>/pods/<pod>/log
 * ?container=C[&previous=true]` (cluster/api/pod_log.ts), which fetches them
 * from the node's agent (over its TLS endpoint with the API server's client
 * certificate). There is no streaming endpoint, so `-f` polls once a second and
 * prints what was appended (after a log rotation the new file is printed from its start).
 */
import { UsageError } from '../../cmd/cli.js';
import type { Pod } from '../api/objects.js';
import { resolveResourceName } from '../api/resources.js';
import { flagBool, flagInt, flagString } from './ctl_args.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';

const PODS = resolveResourceName('pods')!;

/** The last `n` lines of `text` (n < 0 = all). */
export function tailLines(text: string, n: number): string {
  if (n < 0) return text;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(Math.max(0, lines.length - n)).join('\n') + (lines.length > 0 && n > 0 ? '\n' : '');
}

/** The API path serving `pod`'s logs (the pod log subresource). */
export function logUrl(pod: Pod, container: string, previous: boolean): string {
  const nodeName = pod.spec.nodeName;
  if (nodeName === undefined || nodeName === '') throw new CtlError(`pod "${pod.metadata.name}" has no node yet (it is ${pod.status?.phase ?? 'Pending'}): there are no logs`);
  const q = new URLSearchParams({ container, ...(previous ? { previous: 'true' } : {}) });
  return `${pathOf(PODS, pod.metadata.namespace ?? 'default', pod.metadata.name)}/log?${q}`;
}

/** The message of a Status body, else the text. */
function statusMessage(body: string): { reason: string; message: string } | null {
  try {
    const s = JSON.parse(body) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (s.kind === 'Status' && typeof s.message === 'string') return { reason: typeof s.reason === 'string' ? s.reason : '', message: s.message };
  } catch {
    // plain text
  }
  return null;
}

export async function runLogs(ctx: CtlContext): Promise<number> {
  const p = ctx.args.positionals;
  const first = p[0];
  if (first === undefined) throw new UsageError('expected a pod name: vigil ctl logs POD [-c CONTAINER]');
  const name = first.startsWith('pod/') ? first.slice(4) : first.startsWith('pods/') ? first.slice(5) : first;
  const pod = await ctx.client.get<Pod>(pathOf(PODS, ctx.namespace, name));
  const names = pod.spec.containers.map((c) => c.name);
  let container = flagString(ctx.args, 'container', p[1] ?? '');
  if (container === '') {
    if (names.length !== 1) throw new CtlError(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0]!;
  } else if (!names.includes(container)) {
    throw new CtlError(`container ${container} is not valid for pod ${name}`);
  }
  const previous = flagBool(ctx.args, 'previous');
  const tail = ctx.args.values.has('tail') ? flagInt(ctx.args, 'tail', 0) : -1;
  const url = logUrl(pod, container, previous);
  const fetchLog = async (): Promise<string> => {
    const r = await ctx.client.text(url);
    if (r.status !== 200) {
      const st = statusMessage(r.body);
      throw new ServerError(r.status, st?.reason || (r.status === 404 ? 'NotFound' : 'BadRequest'), st?.message ?? r.body.trim());
    }
    return r.body;
  };
  let body = await fetchLog();
  let shown = tailLines(body, tail);
  let printed = body.length;
  let partial = '';
  const emit = (text: string, final: boolean) => {
    const all = partial + text;
    const cut = final ? all.length : all.lastIndexOf('\n') + 1;
    const out = all.slice(0, cut);
    partial = all.slice(cut);
    if (out !== '') ctx.io.log(out.endsWith('\n') ? out.slice(0, -1) : out);
  };
  const follow = flagBool(ctx.args, 'follow');
  emit(shown, !follow);
  while (follow && !ctx.signal.aborted) {
    await ctx.sleep(1000);
    if (ctx.signal.aborted) break;
    try {
      body = await fetchLog();
    } catch (e) {
      if (e instanceof ServerError && e.status === 404) break; // the pod is gone
      throw e;
    }
    if (body.length < printed) printed = 0; // rotated
    shown = body.slice(printed);
    printed = body.length;
    emit(shown, false);
  }
  if (partial !== '') ctx.io.log(partial);
  return 0;
}
