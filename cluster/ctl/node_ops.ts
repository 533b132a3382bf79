/**
 * `vigil ctl cordon|uncordon NODE` and `vigil ctl drain NODE [--force]
 * [--grace-period S] [--timeout D]`.
 *
 * drain = cordon, then evict every pod bound to the node: each pod is deleted
 * with its own termination grace period (or `--grace-period`), so its agent
 * stops it with SIGTERM first, and drain waits until every pod is gone (at
 * most `--timeout`; 0 = no limit). Pods no controller manages would not come
 * back anywhere: drain refuses them unless `--force`, as kubectl does. Pods
 * already terminating are waited for, not deleted again.
 */
import { UsageError } from '../../cmd/cli.js';
import type { Node, Pod } from '../api/objects.js';
import { resolveResourceName } from '../api/resources.js';
import { flagBool, flagInt, flagString, parseDurationFlag } from './ctl_args.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';

const NODES = resolveResourceName('nodes')!;
const PODS = resolveResourceName('pods')!;

function nodeName(ctx: CtlContext, verb: string): string {
  const p = ctx.args.positionals;
  const first = p[0];
  if (first === undefined) throw new UsageError(`${verb}: expected a node name`);
  if (p.length > 1) throw new UsageError(`${verb}: expected one node name, got ${p.length}`);
  return first.startsWith('node/') ? first.slice(5) : first.startsWith('nodes/') ? first.slice(6) : first;
}

async function setUnschedulable(ctx: CtlContext, name: string, on: boolean): Promise<void> {
  const n = await ctx.client.get<Node>(pathOf(NODES, '', name));
  if ((n.spec.unschedulable === true) === on) {
    ctx.io.log(`node/${name} already ${on ? 'cordoned' : 'uncordoned'}`);
    return;
  }
  await ctx.client.patch(pathOf(NODES, '', name), { spec: { unschedulable: on } });
  ctx.io.log(`node/${name} ${on ? 'cordoned' : 'uncordoned'}`);
}

/** `cordon` (on = true) and `uncordon`. */
export async function runCordon(ctx: CtlContext, on: boolean): Promise<number> {
  await setUnschedulable(ctx, nodeName(ctx, on ? 'cordon' : 'uncordon'), on);
  return 0;
}

async function gone(ctx: CtlContext, p: Pod): Promise<boolean> {
  try {
    const cur = await ctx.client.get<Pod>(pathOf(PODS, p.metadata.namespace ?? '', p.metadata.name));
    return cur.metadata.uid !== p.metadata.uid;
  } catch (e) {
    if (e instanceof ServerError && e.status === 404) return true;
    throw e;
  }
}

export async function runDrain(ctx: CtlContext): Promise<number> {
  const name = nodeName(ctx, 'drain');
  const force = flagBool(ctx.args, 'force');
  const timeoutMs = parseDurationFlag('timeout', flagString(ctx.args, 'timeout', '0'));
  const grace = ctx.args.values.has('grace-period') ? flagInt(ctx.args, 'grace-period', 0) : -1;
  await ctx.client.get<Node>(pathOf(NODES, '', name));
  await setUnschedulable(ctx, name, true);
  const list = await ctx.client.list<Pod>(pathOf(PODS, ''), { fieldSelector: `spec.nodeName=${name}` });
  const pods = list.items.filter((p) => p.spec.nodeName === name);
  const unmanaged = pods.filter((p) => !(p.metadata.ownerReferences ?? []).some((o) => o.controller === true));
  if (unmanaged.length > 0 && !force) {
    const names = unmanaged.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ');
    throw new CtlError(
      `unable to drain node "${name}" due to error: cannot delete Pods that declare no controller (use --force to override): ${names}\nThere are pending nodes to be drained:\n ${name}`,
    );
  }
  if (unmanaged.length > 0) ctx.io.err(`Warning: deleting Pods that declare no controller: ${unmanaged.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
  for (const p of pods) {
    if (p.metadata.deletionTimestamp !== undefined) continue;
    ctx.io.log(`evicting pod ${p.metadata.namespace}/${p.metadata.name}`);
    try {
      await ctx.client.request('DELETE', pathOf(PODS, p.metadata.namespace ?? '', p.metadata.name) + (grace >= 0 ? `?gracePeriodSeconds=${grace}` : ''));
    } catch (e) {
      if (!(e instanceof ServerError && e.status === 404)) throw e;
    }
  }
  const deadline = timeoutMs > 0 ? ctx.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let waiting = [...pods];
  while (waiting.length > 0) {
    const still: Pod[] = [];
    for (const p of waiting) {
      if (await gone(ctx, p)) ctx.io.log(`pod/${p.metadata.name} evicted`);
      else still.push(p);
    }
    waiting = still;
    if (waiting.length === 0) break;
    if (ctx.signal.aborted) return 1;
    if (ctx.now() >= deadline)
      throw new CtlError(`unable to drain node "${name}": timed out waiting for the pods to terminate: ${waiting.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
    await ctx.sleep(Math.min(500, Math.max(10, deadline - ctx.now())));
  }
  ctx.io.log(`node/${name} drained`);
  return 0;
}
