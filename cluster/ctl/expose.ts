/**
 * `vigil ctl expose deployment/NAME --port P [--target-port T] [--name SVC]`:
 * creates a Service selecting the Deployment's pods (its selector's
 * matchLabels), as kubectl expose does. `--target-port` defaults to the
 * template's only port (its name, e.g. the `http` port `run` declares and the
 * agent allocates per replica, else its number), else to `--port`.
 * Prints `service/NAME exposed`.
 */
import { UsageError } from '../../cmd/cli.js';
import type { Deployment, ReplicaSet, Service } from '../api/objects.js';
import { resolveResourceName } from '../api/resources.js';
import { flagString } from './ctl_args.js';
import { type CtlContext, CtlError, nsFor, pathOf, resolveKind } from './ctl_context.js';
import { kindAndName } from './scale.js';

const SERVICES = resolveResourceName('services')!;

function port(v: string, flag: string): number {
  if (!/^[0-9]{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: expected a port 1-65535`);
  return Number(v);
}

export async function runExpose(ctx: CtlContext): Promise<number> {
  const { kind, name } = kindAndName(ctx.args.positionals, 'expose');
  const info = resolveKind(kind);
  if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') throw new CtlError(`cannot expose a ${info.kind}: only deployments and replicasets`);
  const ns = nsFor(ctx, info);
  const obj = await ctx.client.get<Deployment | ReplicaSet>(pathOf(info, ns, name));
  const selector = obj.spec.selector.matchLabels ?? {};
  if (Object.keys(selector).length === 0 || (obj.spec.selector.matchExpressions ?? []).length > 0)
    throw new CtlError(`cannot expose ${info.kind.toLowerCase()} "${name}": a Service selects by labels only and its selector is not a plain label map`);
  const portFlag = flagString(ctx.args, 'port');
  const declared = obj.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
  const only = declared.length === 1 ? declared[0] : undefined;
  const fixed = only?.containerPort !== undefined && only.containerPort > 0 ? only.containerPort : undefined;
  if (portFlag === '' && fixed === undefined) throw new UsageError("couldn't find port via --port flag or introspection: give --port");
  const p = portFlag !== '' ? port(portFlag, 'port') : fixed!;
  const targetFlag = flagString(ctx.args, 'target-port');
  // Default target: the pods' only port, by name when it has one (an agent-allocated port has only a name).
  const target: number | string =
    targetFlag !== '' ? (/^[0-9]+$/.test(targetFlag) ? port(targetFlag, 'target-port') : targetFlag) : (only?.name ?? fixed ?? p);
  const svcName = flagString(ctx.args, 'name', name);
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svcName, namespace: ns, ...(obj.metadata.labels ? { labels: obj.metadata.labels } : {}) },
    spec: { selector, ports: [{ port: p, targetPort: target, protocol: 'TCP' }], type: 'ClusterIP' },
  };
  await ctx.client.request('POST', pathOf(SERVICES, ns), svc);
  ctx.io.log(`service/${svcName} exposed`);
  return 0;
}
