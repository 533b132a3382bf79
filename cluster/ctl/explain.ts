/**
 * `vigil ctl explain deployment/NS/NAME` (also `deployment/NAME -n NS`,
 * `deployment NAME`): why a Deployment has the size it has. Prints the
 * Deployment's size, the ScalingPolicies targeting it, and a table of its recent
 * decisions (ScalingPolicy evaluations and alert actions), oldest first:
 *
 *   TIME      SOURCE  BY   REASON       REPLICAS  VALUE  RATIO  COMPUTED  TOLERANCE  WINDOW    STEP-LIMIT  RESULT   MESSAGE
 *   23:01:02  policy  web  scale_up     2→5       25     2.5    5         +0.1/-0.1  300s      ≤6          applied  ceil(2 × 25 / 10) = 5: …
 *
 * `--tail N` keeps the last N decisions; `-o json|yaml` prints the API's answer
 * (cluster/autoscale/explain_http.ts) as it is.
 */
import { stringify } from 'yaml';
import { UsageError } from '../../cmd/cli.js';
import type { DecisionEntry } from '../autoscale/decision_log.js';
import { explainPath, type ScalingExplanation } from '../autoscale/explain_http.js';
import { flagString } from './ctl_args.js';
import { type CtlContext, CtlError } from './ctl_context.js';
import { formatTabbed } from './table.js';

/** `deployment/NS/NAME`, `deployment/NAME` or `deployment NAME` → namespace ('' = the context's) and name. */
export function explainTarget(p: readonly string[]): { namespace: string; name: string } {
  const first = p[0];
  if (first === undefined) throw new UsageError('explain: expected a target like deployment/NAMESPACE/NAME');
  const parts = first.split('/');
  const kind = (parts[0] ?? '').toLowerCase();
  if (!['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps'].includes(kind)) {
    throw new UsageError(`explain: only deployments can be explained, got ${JSON.stringify(parts[0])}`);
  }
  if (parts.length === 3 && parts[1] !== '' && parts[2] !== '') return { namespace: parts[1]!, name: parts[2]! };
  if (parts.length === 2 && parts[1] !== '') return { namespace: '', name: parts[1]! };
  if (parts.length === 1 && p[1] !== undefined) return { namespace: '', name: p[1] };
  throw new UsageError(`explain: expected deployment/NAMESPACE/NAME or deployment/NAME, got ${JSON.stringify(first)}`);
}

const num = (x: number | null): string => (x === null ? '-' : Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000));

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The table rows (header first) of `decisions`. */
export function decisionRows(decisions: readonly DecisionEntry[]): string[][] {
  const rows = [['TIME', 'SOURCE', 'BY', 'REASON', 'REPLICAS', 'VALUE', 'RATIO', 'COMPUTED', 'TOLERANCE', 'WINDOW', 'STEP-LIMIT', 'RESULT', 'MESSAGE']];
  for (const d of decisions) {
    const replicas = d.currentReplicas === null ? '-' : d.desiredReplicas !== null && d.desiredReplicas !== d.currentReplicas ? `${d.currentReplicas}→${d.desiredReplicas}` : String(d.currentReplicas);
    const tol = d.upTolerance === null ? '-' : `+${num(d.upTolerance)}/-${num(d.downTolerance)}`;
    const win = d.windowSeconds === null ? '-' : d.windowMax !== null ? `${num(d.windowSeconds)}s max ${d.windowMax}` : `${num(d.windowSeconds)}s`;
    const message = d.source === 'alert' ? `${d.action}: ${d.message}` : d.message;
    rows.push([
      time(d.timeMs),
      d.source,
      d.by,
      d.reason,
      replicas,
      num(d.value),
      num(d.ratio),
      num(d.computedReplicas),
      tol,
      win,
      d.stepLimit === null ? '-' : `≤${d.stepLimit}`,
      d.result,
      message,
    ]);
  }
  return rows;
}

/** The whole text `explain` prints for `e` (lines). */
export function explainText(e: ScalingExplanation): string[] {
  const t = e.target;
  const out = [
    t.exists ? `Deployment ${t.namespace}/${t.name}: ${t.replicas} replicas (${t.readyReplicas} ready)` : `Deployment ${t.namespace}/${t.name}: not found (decisions recorded before it was deleted follow)`,
  ];
  if (e.policies.length === 0) out.push('No ScalingPolicy targets it.');
  for (const p of e.policies) {
    out.push(
      `ScalingPolicy ${p.name}${p.dryRun ? ' (dry run)' : ''}: ${p.targetPerReplica} per replica of ${JSON.stringify(p.query)}, replicas [${p.minReplicas}, ${p.maxReplicas}], tolerance ${p.tolerance}, scale-down window ${p.stabilizationWindowSeconds}s`,
    );
    const s = p.status;
    if (s.lastReason !== undefined) {
      out.push(`  last: ${s.lastReason}, desired ${s.desiredReplicas ?? '-'}, value ${s.lastValue ?? '-'}${s.lastScaleTime ? `, last scaled ${s.lastScaleTime}` : ''}`);
    }
  }
  out.push('');
  if (e.decisions.length === 0) out.push('No decisions recorded yet (they are kept in memory by the leading server).');
  else out.push(...formatTabbed(decisionRows(e.decisions)));
  return out;
}

export async function runExplain(ctx: CtlContext): Promise<number> {
  const { namespace, name } = explainTarget(ctx.args.positionals);
  const ns = namespace !== '' ? namespace : ctx.namespace;
  const tail = flagString(ctx.args, 'tail');
  if (tail !== '' && !/^[1-9][0-9]{0,3}$/.test(tail)) throw new UsageError(`invalid argument "${tail}" for "--tail" flag: expected an integer from 1 to 9999`);
  const path = `${explainPath(ns, name)}${tail !== '' ? `?limit=${tail}` : ''}`;
  const e = await ctx.client.request<ScalingExplanation>('GET', path);
  const o = flagString(ctx.args, 'output');
  if (o === 'json') ctx.io.log(JSON.stringify(e, null, 2));
  else if (o === 'yaml') ctx.io.log(stringify(e).trimEnd());
  else if (o === '' || o === 'wide') for (const l of explainText(e)) ctx.io.log(l);
  else throw new CtlError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json, yaml`);
  return 0;
}
