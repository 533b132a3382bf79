/**
 * `vigil ctl scale deployment/NAME --replicas N` (also `scale deployment NAME`,
 * and ReplicaSets). Prints `deployment.apps/web scaled`.
 */
import { UsageError } from '../../cmd/cli.js';
import { flagString } from './ctl_args.js';
import { type CtlContext, CtlError, nsFor, pathOf, resolveKind, splitKindName } from './ctl_context.js';
import { nameRef } from './printers.js';

/** `kind/name` or `kind name` from the positionals. */
export function kindAndName(p: readonly string[], verb: string): { kind: string; name: string } {
  const first = p[0];
  if (first === undefined) throw new UsageError(`${verb}: expected a resource like deployment/web`);
  const s = splitKindName(first);
  if (s.name !== '') return s;
  const second = p[1];
  if (second === undefined) throw new UsageError(`${verb}: expected a resource name after "${first}" (e.g. ${first}/web)`);
  return { kind: first, name: second };
}

export async function runScale(ctx: CtlContext): Promise<number> {
  const { kind, name } = kindAndName(ctx.args.positionals, 'scale');
  const info = resolveKind(kind);
  if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') throw new CtlError(`cannot scale ${info.resource}: only deployments and replicasets have replicas`);
  const r = flagString(ctx.args, 'replicas');
  if (!/^[0-9]{1,9}$/.test(r)) throw new UsageError(r === '' ? 'the --replicas=COUNT flag is required' : `invalid argument "${r}" for "--replicas" flag: expected a non-negative integer`);
  await ctx.client.patch(pathOf(info, nsFor(ctx, info), name), { spec: { replicas: Number(r) } });
  ctx.io.log(`${nameRef(info, name)} scaled`);
  return 0;
}
