/**
 * `vigil ctl get KIND [NAME...] [-l SEL] [-n NS | -A] [-o wide|yaml|json|name] [-w] [--show-labels]`
 * (also `get KIND/NAME`). With `-w` it lists, prints, then follows the API's
 * watch stream from the list's resourceVersion, printing one row per change
 * (re-watching when the server ends a stream) until stopped.
 */
import { UsageError } from '../../cmd/cli.js';
import type { ApiObject } from '../api/objects.js';
import type { ResourceInfo } from '../api/resources.js';
import { flagBool, flagString } from './ctl_args.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, nsFor, pathOf, resolveKind, splitKindName } from './ctl_context.js';
import { type OutputFormat, parseOutput, printStructured, TablePrinter, toJson, toYaml } from './output.js';
import type { PrintOptions } from './printers.js';

interface Target {
  info: ResourceInfo;
  names: string[];
}

function targetOf(positionals: readonly string[]): Target {
  const first = positionals[0];
  if (first === undefined) throw new UsageError('you must specify the type of resource to get, e.g. vigil ctl get pods');
  const { kind, name } = splitKindName(first);
  const info = resolveKind(kind);
  const names = name !== '' ? [name, ...positionals.slice(1).map((p) => splitKindName(p).name || p)] : [...positionals.slice(1)];
  return { info, names };
}

/** kubectl's `all` category (what Vigil serves of it). */
const ALL = ['pods', 'services', 'deployments', 'replicasets'];

/** `get KIND1,KIND2` / `get all`: one table per kind with `kind/name` names, or one List. */
async function getSeveral(ctx: CtlContext, kinds: readonly string[]): Promise<number> {
  if (ctx.args.positionals.length > 1) throw new UsageError('names cannot be given when several resource types are listed');
  if (flagBool(ctx.args, 'watch')) throw new UsageError(`watch is only supported on individual resources and resource collections, but ${kinds.length} resource types were given`);
  const format = parseOutput(flagString(ctx.args, 'output'));
  const selector = flagString(ctx.args, 'selector');
  const everything: ApiObject[] = [];
  let printedTables = 0;
  for (const k of kinds) {
    const info = resolveKind(k);
    const all = ctx.allNamespaces && info.namespaced;
    const ns = all ? '' : nsFor(ctx, info);
    const list = await ctx.client.list(pathOf(info, ns), selector !== '' ? { labelSelector: selector } : {});
    everything.push(...list.items);
    if ((format === 'table' || format === 'wide') && list.items.length > 0) {
      if (printedTables++ > 0) ctx.io.log('');
      const opts: PrintOptions = { wide: format === 'wide', withNamespace: all, showLabels: flagBool(ctx.args, 'show-labels'), nowMs: ctx.now(), kindPrefix: true };
      new TablePrinter(info.kind, opts, (s) => ctx.io.log(s)).print(list.items);
    }
  }
  if (format === 'yaml' || format === 'json' || format === 'name') printStructured(everything, format, false, (s) => ctx.io.log(s));
  else if (everything.length === 0) ctx.io.err(ctx.allNamespaces ? 'No resources found' : `No resources found in ${ctx.namespace} namespace.`);
  return 0;
}

/** Runs `get`; returns the exit code. */
export async function runGet(ctx: CtlContext): Promise<number> {
  const first = ctx.args.positionals[0] ?? '';
  if (!first.includes('/') && (first.includes(',') || first === 'all')) return getSeveral(ctx, first === 'all' ? ALL : first.split(',').filter((k) => k !== ''));
  const { info, names } = targetOf(ctx.args.positionals);
  const format = parseOutput(flagString(ctx.args, 'output'));
  const selector = flagString(ctx.args, 'selector');
  const all = ctx.allNamespaces && info.namespaced;
  if (names.length > 0 && selector !== '') throw new UsageError('when specifying a name, a label selector (-l) cannot be given');
  if (names.length > 0 && all) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
  const ns = all ? '' : nsFor(ctx, info);
  const opts: PrintOptions = { wide: format === 'wide', withNamespace: all, showLabels: flagBool(ctx.args, 'show-labels'), nowMs: ctx.now() };
  const table = new TablePrinter(info.kind, opts, (s) => ctx.io.log(s));

  let objs: ApiObject[] = [];
  let resourceVersion = '';
  let failed = 0;
  if (names.length > 0) {
    for (const n of names) {
      try {
        const o = await ctx.client.get(pathOf(info, ns, n));
        objs.push(o);
        resourceVersion = o.metadata.resourceVersion ?? resourceVersion;
      } catch (e) {
        if (!(e instanceof ServerError)) throw e;
        ctx.io.err(e.display());
        failed++;
      }
    }
  } else {
    const list = await ctx.client.list(pathOf(info, ns), selector !== '' ? { labelSelector: selector } : {});
    objs = list.items;
    resourceVersion = list.metadata.resourceVersion;
  }
  print(ctx, format, objs, names.length === 1, table);
  if (objs.length === 0 && names.length === 0 && format !== 'yaml' && format !== 'json') {
    ctx.io.err(info.namespaced && !all ? `No resources found in ${ns} namespace.` : 'No resources found');
  }
  if (flagBool(ctx.args, 'watch')) {
    const query: Record<string, string> = {};
    if (selector !== '') query.labelSelector = selector;
    if (names.length === 1) query.fieldSelector = `metadata.name=${names[0]}`;
    await follow(ctx, info, ns, query, resourceVersion, (o) => {
      print(ctx, format, [o], true, table, true);
      return false;
    });
  }
  return failed > 0 ? 1 : 0;
}

function print(ctx: CtlContext, format: OutputFormat, objs: readonly ApiObject[], single: boolean, table: TablePrinter, watching = false): void {
  if (format === 'table' || format === 'wide') {
    if (objs.length > 0) table.print(objs);
    return;
  }
  if (watching && format !== 'name') {
    // One document per change, as kubectl streams them.
    for (const o of objs) ctx.io.log(format === 'json' ? toJson(o) : `---\n${toYaml(o)}`);
    return;
  }
  if (objs.length === 0 && format === 'name') return;
  printStructured(objs, format, single, (s) => ctx.io.log(s));
}

/**
 * Follows the watch of `info` in `ns` from `resourceVersion` until the context's
 * signal aborts, calling `onObject` for every ADDED/MODIFIED/DELETED object and
 * re-watching from the last seen version when a stream ends. An ERROR event
 * (e.g. 410 Expired) ends the watch with that error.
 */
export async function follow(
  ctx: CtlContext,
  info: ResourceInfo,
  ns: string,
  query: Record<string, string>,
  resourceVersion: string,
  onObject: (o: ApiObject, type: string) => boolean,
): Promise<void> {
  let rv = resourceVersion;
  while (!ctx.signal.aborted) {
    for await (const ev of ctx.client.watch(pathOf(info, ns), { ...query, resourceVersion: rv, allowWatchBookmarks: 'false' }, ctx.signal)) {
      if (ev.type === 'ERROR') {
        const st = ev.object as unknown as { reason?: string; message?: string; code?: number };
        throw new ServerError(st.code ?? 500, st.reason ?? 'Unknown', st.message ?? 'the watch failed');
      }
      if (ev.type === 'BOOKMARK') continue;
      rv = ev.object.metadata.resourceVersion ?? rv;
      if (onObject(ev.object, ev.type) === true) return;
    }
    if (!ctx.signal.aborted) await ctx.sleep(200);
  }
}
