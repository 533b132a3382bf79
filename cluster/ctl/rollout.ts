/**
 * `vigil ctl rollout status|history|undo|pause|resume deployment/NAME`.
 *
 * - status [--timeout D]: follows the Deployment and prints kubectl's progress
 *   lines until `deployment "web" successfully rolled out` (exit 0), the
 *   progress deadline is exceeded or the timeout passes (exit 1).
 * - history [--revision N]: the revisions (ReplicaSets owned by the Deployment,
 *   annotated `deployment.kubernetes.io/revision`) with their change cause.
 * - undo [--to-revision N]: what kubectl does — copies the chosen revision's pod
 *   template (without its `pod-template-hash` label) back into the Deployment;
 *   the deployment controller then rolls it out as a new revision. Default: the
 *   revision before the current one.
 * - pause / resume: set `spec.paused`.
 */
import { UsageError } from '../../cmd/cli.js';
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../api/objects.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/objects.js';
import { canonicalJson } from '../api/pod_template_hash.js';
import { resolveResourceName } from '../api/resources.js';
import { flagInt, flagString, parseDurationFlag } from './ctl_args.js';
import { type CtlContext, CtlError, nsFor, pathOf, resolveKind } from './ctl_context.js';
import { follow } from './get.js';
import { selectorText } from './printers.js';
import { formatTabbed } from './table.js';
import { kindAndName } from './scale.js';

const DEPLOYMENTS = resolveResourceName('deployments')!;
const REPLICASETS = resolveResourceName('replicasets')!;
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/**
 * kubectl's rollout status line for `d`, and whether the rollout is complete.
 * Throws CtlError when the progress deadline was exceeded.
 */
export function rolloutStatus(d: Deployment): { message: string; done: boolean } {
  const name = d.metadata.name;
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) return { message: 'Waiting for deployment spec update to be observed...', done: false };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new CtlError(`deployment "${name}" exceeded its progress deadline`);
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`, done: false };
  if (replicas > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`, done: false };
  if (available < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

function revisionOf(rs: ReplicaSet): number {
  const r = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isInteger(r) ? r : 0;
}

/** The ReplicaSets the Deployment owns, by ascending revision. */
export async function revisionsOf(ctx: CtlContext, d: Deployment): Promise<ReplicaSet[]> {
  const sel = selectorText(d.spec.selector);
  const list = await ctx.client.list<ReplicaSet>(pathOf(REPLICASETS, d.metadata.namespace ?? ctx.namespace), sel === '<none>' ? {} : { labelSelector: sel });
  const owned = list.items.filter((rs) => (rs.metadata.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && (o.uid === d.metadata.uid || o.name === d.metadata.name)));
  return owned.sort((a, b) => revisionOf(a) - revisionOf(b));
}

/** A ReplicaSet's pod template as the Deployment would carry it (no pod-template-hash label). */
export function templateForDeployment(rs: ReplicaSet): PodTemplateSpec {
  const t = structuredClone(rs.spec.template);
  const labels = Object.fromEntries(Object.entries(t.metadata?.labels ?? {}).filter(([k]) => k !== POD_TEMPLATE_HASH_LABEL));
  t.metadata = { ...(t.metadata ?? {}), labels };
  return t;
}

async function status(ctx: CtlContext, path: string): Promise<number> {
  const timeoutMs = parseDurationFlag('timeout', flagString(ctx.args, 'timeout', '0'));
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs > 0 ? setTimeout(() => ac.abort(), timeoutMs) : null;
  try {
    let last = '';
    const show = (d: Deployment): boolean => {
      const s = rolloutStatus(d);
      if (s.message !== last) ctx.io.log(s.message);
      last = s.message;
      return s.done;
    };
    const d = await ctx.client.get<Deployment>(path);
    if (show(d)) return 0;
    await follow({ ...ctx, signal: ac.signal }, DEPLOYMENTS, d.metadata.namespace ?? '', { fieldSelector: `metadata.name=${d.metadata.name}` }, d.metadata.resourceVersion ?? '', (o, type) => {
      if (type === 'DELETED') throw new CtlError(`deployment "${d.metadata.name}" was deleted`);
      return show(o as Deployment);
    }).catch((e: unknown) => {
      if (!ac.signal.aborted) throw e;
    });
    if (ac.signal.aborted) {
      if (!ctx.signal.aborted) throw new CtlError('timed out waiting for the condition');
      return 1;
    }
    return 0;
  } finally {
    if (timer !== null) clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

async function history(ctx: CtlContext, d: Deployment, ref: string): Promise<number> {
  const revs = await revisionsOf(ctx, d);
  const want = flagInt(ctx.args, 'revision', 0);
  if (want > 0) {
    const rs = revs.find((r) => revisionOf(r) === want);
    if (rs === undefined) throw new CtlError(`unable to find the specified revision ${want}`);
    const t = rs.spec.template;
    ctx.io.log(`${ref} with revision #${want}`);
    ctx.io.log('Pod Template:');
    ctx.io.log(`  Labels:\t${Object.entries(t.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join('\n\t\t') || '<none>'}`);
    const cause = rs.metadata.annotations?.[CHANGE_CAUSE];
    if (cause !== undefined) ctx.io.log(`  Annotations:\t${CHANGE_CAUSE}: ${cause}`);
    ctx.io.log('  Containers:');
    for (const c of t.spec.containers) {
      ctx.io.log(`   ${c.name}:`);
      ctx.io.log(`    Image:\t${c.image}`);
      ctx.io.log(`    Environment:\t${(c.env ?? []).map((e) => `${e.name}=${e.value ?? '<from ref>'}`).join(', ') || '<none>'}`);
    }
    return 0;
  }
  if (revs.length === 0) {
    ctx.io.log('No rollout history found.');
    return 0;
  }
  ctx.io.log(ref);
  const rows = [['REVISION', 'CHANGE-CAUSE'], ...revs.map((r) => [String(revisionOf(r)), r.metadata.annotations?.[CHANGE_CAUSE] ?? '<none>'])];
  for (const line of formatTabbed(rows)) ctx.io.log(line);
  ctx.io.log('');
  return 0;
}

async function undo(ctx: CtlContext, d: Deployment, path: string, ref: string): Promise<number> {
  if (d.spec.paused === true)
    throw new CtlError(`you cannot rollback a paused deployment; resume it first with 'vigil ctl rollout resume ${ref}' and try again`);
  const revs = await revisionsOf(ctx, d);
  if (revs.length === 0) throw new CtlError(`no rollout history found for deployment "${d.metadata.name}"`);
  const to = flagInt(ctx.args, 'to-revision', 0);
  let target: ReplicaSet | undefined;
  if (to > 0) {
    target = revs.find((r) => revisionOf(r) === to);
    if (target === undefined) throw new CtlError(`unable to find specified revision ${to} in history`);
  } else {
    // The newest revision other than the current (highest) one.
    target = revs.length >= 2 ? revs[revs.length - 2] : undefined;
    if (target === undefined) throw new CtlError(`no revision to roll back to: deployment "${d.metadata.name}" has only revision ${revisionOf(revs[0]!)}`);
  }
  const template = templateForDeployment(target);
  if (canonicalJson(template) === canonicalJson(d.spec.template)) {
    ctx.io.log(`${ref} skipped rollback (current template already matches revision ${revisionOf(target)})`);
    return 0;
  }
  const updated: Deployment = { ...d, spec: { ...d.spec, template } };
  await ctx.client.request('PUT', path, updated);
  ctx.io.log(`${ref} rolled back`);
  return 0;
}

export async function runRollout(ctx: CtlContext): Promise<number> {
  const [sub, ...rest] = ctx.args.positionals;
  if (sub === undefined) throw new UsageError('rollout: expected a subcommand: status, history, undo, pause or resume');
  const { kind, name } = kindAndName(rest, `rollout ${sub}`);
  const info = resolveKind(kind);
  if (info.kind !== 'Deployment') throw new CtlError(`no rollout support for ${info.resource}: only deployments`);
  const path = pathOf(info, nsFor(ctx, info), name);
  const ref = `deployment.apps/${name}`;
  switch (sub) {
    case 'status':
      return status(ctx, path);
    case 'history':
      return history(ctx, await ctx.client.get<Deployment>(path), ref);
    case 'undo':
      return undo(ctx, await ctx.client.get<Deployment>(path), path, ref);
    case 'pause':
    case 'resume': {
      const d = await ctx.client.get<Deployment>(path);
      const want = sub === 'pause';
      if ((d.spec.paused === true) === want) {
        ctx.io.log(`${ref} already ${want ? 'paused' : 'resumed'}`);
        return 0;
      }
      await ctx.client.patch(path, { spec: { paused: want } });
      ctx.io.log(`${ref} ${want ? 'paused' : 'resumed'}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown rollout subcommand "${sub}": expected status, history, undo, pause or resume`);
  }
}
