/**
 * `vigil ctl delete KIND NAME... | KIND/NAME... | KIND -l SELECTOR | -f FILE [--grace-period S]`.
 * Prints `deployments.apps "web" deleted` per object once the API accepted the
 * deletion; a graceful deletion (a pod on a node) is then waited for until the
 * agent stopped the pod, as kubectl's `--wait` does (`--wait=false` returns at
 * once, `--timeout D` bounds the wait). Dependents (a
 * Deployment's ReplicaSets and pods) are removed by the server's garbage collection.
 */
import { UsageError } from '../../cmd/cli.js';
import type { ApiObject } from '../api/objects.js';
import type { ResourceInfo } from '../api/resources.js';
import { manifestNamespace, readManifests } from './apply.js';
import { flagInt, flagString, parseDurationFlag } from './ctl_args.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, CtlError, nsFor, pathOf, resolveKind, splitKindName } from './ctl_context.js';
import { quotedRef } from './printers.js';

/** Waits until the object `uid` at `path` is gone (a graceful pod deletion ends when its agent stopped it). */
async function waitGone(ctx: CtlContext, path: string, uid: string | undefined, deadline: number): Promise<void> {
  for (;;) {
    try {
      const cur = await ctx.client.get(path);
      if (uid !== undefined && cur.metadata.uid !== uid) return;
    } catch (e) {
      if (e instanceof ServerError && e.status === 404) return;
      throw e;
    }
    if (ctx.signal.aborted) return;
    if (ctx.now() >= deadline) throw new CtlError(`timed out waiting for ${path.split('/').slice(-2).join('/')} to be deleted`);
    await ctx.sleep(200);
  }
}

async function deleteOne(ctx: CtlContext, info: ResourceInfo, ns: string, name: string): Promise<boolean> {
  const grace = ctx.args.values.has('grace-period') ? flagInt(ctx.args, 'grace-period', 0) : -1;
  const q = grace >= 0 ? `?gracePeriodSeconds=${grace}` : '';
  const path = pathOf(info, ns, name);
  try {
    const left = await ctx.client.request<ApiObject>('DELETE', path + q);
    ctx.io.log(`${quotedRef(info, name)} deleted`);
    // Like kubectl (--wait, default true): a deletion that is still in progress is waited for.
    if (left.metadata?.deletionTimestamp !== undefined && ctx.args.values.get('wait') !== false) {
      const t = flagString(ctx.args, 'timeout', '0');
      const ms = parseDurationFlag('timeout', t);
      await waitGone(ctx, path, left.metadata.uid, ms > 0 ? ctx.now() + ms : Number.POSITIVE_INFINITY);
    }
    return true;
  } catch (e) {
    if (!(e instanceof ServerError)) throw e;
    ctx.io.err(e.display());
    return false;
  }
}

/** Runs `delete`. */
export async function runDelete(ctx: CtlContext): Promise<number> {
  const p = ctx.args.positionals;
  const selector = flagString(ctx.args, 'selector');
  let ok = true;
  if ((ctx.args.lists.get('filename') ?? []).length > 0) {
    if (p.length > 0) throw new UsageError('cannot specify both a resource and -f');
    for (const m of readManifests(ctx)) ok = (await deleteOne(ctx, m.info, manifestNamespace(ctx, m), m.obj.metadata.name)) && ok;
    return ok ? 0 : 1;
  }
  const first = p[0];
  if (first === undefined) throw new UsageError('you must provide one or more resources by argument or filename, e.g. vigil ctl delete deployment web');
  const { kind, name } = splitKindName(first);
  const info = resolveKind(kind);
  const ns = nsFor(ctx, info);
  const names = name !== '' ? [name, ...p.slice(1).map((w) => splitKindName(w).name || w)] : [...p.slice(1)];
  if (names.length > 0 && selector !== '') throw new UsageError('name cannot be provided when a selector is specified');
  if (names.length === 0) {
    if (selector === '') throw new UsageError(`resource(s) were provided, but no name was specified (use a name, -l SELECTOR or -f FILE)`);
    const list = await ctx.client.list(pathOf(info, ns), { labelSelector: selector });
    if (list.items.length === 0) {
      ctx.io.err('No resources found');
      return 0;
    }
    for (const o of list.items) names.push(o.metadata.name);
  }
  for (const n of names) ok = (await deleteOne(ctx, info, ns, n)) && ok;
  return ok ? 0 : 1;
}
