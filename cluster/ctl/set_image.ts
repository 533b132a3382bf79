/**
 * `vigil ctl set image deployment/NAME CONTAINER="CMD" [CONTAINER2="CMD2"…]`
 * (`*=CMD` sets every container): changes the command lines the pods run,
 * which starts a rolling update. Prints `deployment.apps/web image updated`.
 * The whole container list is written back (a merge patch replaces lists).
 */
import { UsageError } from '../../cmd/cli.js';
import type { Deployment } from '../api/objects.js';
import { type CtlContext, CtlError, nsFor, pathOf, resolveKind, splitKindName } from './ctl_context.js';
import { nameRef } from './printers.js';

export async function runSetImage(ctx: CtlContext): Promise<number> {
  const [what, target, ...pairs] = ctx.args.positionals;
  if (what !== 'image') throw new UsageError(`set: only "set image" is supported, got "${what ?? ''}"`);
  if (target === undefined) throw new UsageError('set image: expected a resource like deployment/web');
  const { kind, name } = splitKindName(target);
  if (name === '') throw new UsageError(`set image: expected KIND/NAME, got "${target}"`);
  const info = resolveKind(kind);
  if (info.kind !== 'Deployment') throw new CtlError(`set image: only deployments are supported, got ${info.resource}`);
  if (pairs.length === 0) throw new UsageError('set image: expected at least one CONTAINER=CMD');
  const path = pathOf(info, nsFor(ctx, info), name);
  const d = await ctx.client.get<Deployment>(path);
  const containers = d.spec.template.spec.containers.map((c) => ({ ...c }));
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`set image: expected CONTAINER=CMD, got "${pair}"`);
    const cname = pair.slice(0, i);
    const image = pair.slice(i + 1);
    const hit = containers.filter((c) => cname === '*' || c.name === cname);
    if (hit.length === 0) throw new CtlError(`unable to find container named "${cname}"`);
    for (const c of hit) c.image = image;
  }
  await ctx.client.patch(path, { spec: { template: { spec: { containers } } } });
  ctx.io.log(`${nameRef(info, name)} image updated`);
  return 0;
}
