/**
 * `vigil ctl run` and the generator forms of `vigil ctl create`:
 *
 *   run NAME --image "CMD" [--replicas N] [--port P] [--env K=V]... [--labels k=v,...]
 *   create namespace NAME
 *   create configmap NAME [--from-literal k=v]... [--from-file [key=]path]...
 *   create secret generic NAME [--from-literal k=v]... [--from-file [key=]path]...
 *   create deployment NAME --image "CMD" [--replicas N] [--port P]
 *   create service clusterip NAME --tcp PORT[:TARGET]...
 *
 * `run` creates a Deployment (as kubectl's old `deployment/apps.v1` generator
 * did) labelled `run=NAME` unless `--labels` says otherwise. Its container
 * declares one port named `http`: allocated per replica by the node agent and
 * passed as `$PORT` (Vigil pods are processes sharing the node's network), or
 * the fixed `--port P` (then two replicas cannot share a node). `--dry-run=client`
 * prints the object (`-o yaml|json`) instead of creating it.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../../cmd/cli.js';
import type { ApiObject, ConfigMap, Container, Deployment, Namespace, Secret, Service, StringMap } from '../api/objects.js';
import { resourceForKind } from '../api/resources.js';
import { flagInt, flagString } from './ctl_args.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';
import { parseOutput, printStructured } from './output.js';
import { nameRef } from './printers.js';

function keyValue(s: string, flag: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`invalid argument "${s}" for "--${flag}" flag: expected KEY=VALUE`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/** Parses `k=v,k2=v2`. */
export function parseLabelList(s: string): StringMap {
  const out: StringMap = {};
  for (const part of s.split(',')) {
    if (part.trim() === '') continue;
    const [k, v] = keyValue(part.trim(), 'labels');
    out[k] = v;
  }
  return out;
}

function deploymentOf(ctx: CtlContext, name: string, labels: StringMap): Deployment {
  const image = flagString(ctx.args, 'image');
  if (image === '') throw new UsageError('--image is required (the command line the pods run, e.g. --image "node app.js")');
  const container: Container = { name, image };
  const env = ctx.args.lists.get('env') ?? [];
  if (env.length > 0) container.env = env.map((e) => {
    const [k, v] = keyValue(e, 'env');
    return { name: k, value: v };
  });
  const port = flagString(ctx.args, 'port');
  if (port !== '') {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`invalid argument "${port}" for "--port" flag: expected a port 1-65535`);
    container.ports = [{ name: 'http', containerPort: Number(port) }];
  } else {
    // Pods share the node's network, so each replica needs its own port: the agent allocates
    // one and passes it as $PORT; Services reach it by the name (expose targets it).
    container.ports = [{ name: 'http' }];
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ctx.namespace, labels },
    spec: {
      replicas: flagInt(ctx.args, 'replicas', 1),
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  };
}

function fromSources(ctx: CtlContext): StringMap {
  const data: StringMap = {};
  for (const l of ctx.args.lists.get('from-literal') ?? []) {
    const [k, v] = keyValue(l, 'from-literal');
    data[k] = v;
  }
  for (const f of ctx.args.lists.get('from-file') ?? []) {
    const i = f.indexOf('=');
    const key = i > 0 ? f.slice(0, i) : basename(f);
    const path = i > 0 ? f.slice(i + 1) : f;
    try {
      data[key] = readFileSync(path, 'utf8');
    } catch (e) {
      throw new CtlError(`error reading ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return data;
}

async function send(ctx: CtlContext, obj: ApiObject): Promise<number> {
  const info = resourceForKind(obj.apiVersion, obj.kind);
  if (info === undefined) throw new Error(`BUG: no resource for ${obj.apiVersion} ${obj.kind}`);
  const dry = flagString(ctx.args, 'dry-run');
  if (dry !== '' && dry !== 'none') {
    if (dry !== 'client') throw new UsageError(`invalid argument "${dry}" for "--dry-run" flag: only "client" is supported`);
    const format = parseOutput(flagString(ctx.args, 'output'));
    if (format === 'yaml' || format === 'json' || format === 'name') printStructured([obj], format, true, (s) => ctx.io.log(s));
    else ctx.io.log(`${nameRef(info, obj.metadata.name)} created (dry run)`);
    return 0;
  }
  await ctx.client.request('POST', pathOf(info, obj.metadata.namespace ?? ''), obj);
  ctx.io.log(`${nameRef(info, obj.metadata.name)} created`);
  return 0;
}

function needName(p: readonly string[], i: number, what: string): string {
  const n = p[i];
  if (n === undefined) throw new UsageError(`NAME is required for ${what}`);
  return n;
}

/** `run NAME --image CMD …`. */
export function runRun(ctx: CtlContext): Promise<number> {
  const name = needName(ctx.args.positionals, 0, 'run');
  const labelsFlag = flagString(ctx.args, 'labels');
  const labels = labelsFlag !== '' ? parseLabelList(labelsFlag) : { run: name };
  return send(ctx, deploymentOf(ctx, name, labels));
}

/** `create namespace|configmap|secret generic|deployment|service clusterip …` (without `-f`). */
export function runCreateGenerator(ctx: CtlContext): Promise<number> {
  const p = ctx.args.positionals;
  const what = p[0] ?? '';
  switch (what) {
    case 'namespace':
    case 'ns': {
      const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: needName(p, 1, 'create namespace') } };
      return send(ctx, ns);
    }
    case 'configmap':
    case 'cm': {
      const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: needName(p, 1, 'create configmap'), namespace: ctx.namespace }, data: fromSources(ctx) };
      return send(ctx, cm);
    }
    case 'secret': {
      if (p[1] !== 'generic') throw new UsageError(`unknown secret type "${p[1] ?? ''}": only "generic" is supported`);
      const data: StringMap = {};
      for (const [k, v] of Object.entries(fromSources(ctx))) data[k] = Buffer.from(v, 'utf8').toString('base64');
      const s: Secret = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: needName(p, 2, 'create secret generic'), namespace: ctx.namespace }, data };
      return send(ctx, s);
    }
    case 'deployment':
    case 'deploy': {
      const name = needName(p, 1, 'create deployment');
      return send(ctx, deploymentOf(ctx, name, { app: name }));
    }
    case 'service':
    case 'svc': {
      if (p[1] !== 'clusterip') throw new UsageError(`unknown service type "${p[1] ?? ''}": only "clusterip" is supported`);
      const name = needName(p, 2, 'create service clusterip');
      const tcp = ctx.args.lists.get('tcp') ?? [];
      if (tcp.length === 0) throw new UsageError('at least one --tcp=port[:targetPort] is required');
      const ports = tcp.map((t) => {
        const m = /^([0-9]{1,5})(?::([0-9]{1,5}|[a-z][-a-z0-9]*))?$/.exec(t);
        if (m === null) throw new UsageError(`invalid argument "${t}" for "--tcp" flag: expected port[:targetPort]`);
        const port = Number(m[1]);
        const target = m[2] === undefined ? port : /^[0-9]+$/.test(m[2]) ? Number(m[2]) : m[2];
        return { name: `${port}-${target}`, port, targetPort: target, protocol: 'TCP' as const };
      });
      const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ctx.namespace, labels: { app: name } }, spec: { selector: { app: name }, ports, type: 'ClusterIP' } };
      return send(ctx, svc);
    }
    default:
      throw new UsageError(`unknown "create" subcommand "${what}": use -f FILE or one of namespace, configmap, secret generic, deployment, service clusterip`);
  }
}
