/**
 * `vigil ctl apply -f FILE` and `vigil ctl create -f FILE`.
 *
 * apply is kubectl's client-side three-way apply: the object as last applied is
 * kept in the `kubectl.kubernetes.io/last-applied-configuration` annotation; a
 * new apply sends a JSON merge patch that sets every field of the manifest that
 * differs from the live object and removes (null) fields that the last applied
 * manifest had and this one dropped. Fields the manifest never set (server
 * defaults, status, fields written by controllers) stay as they are. Prints
 * `deployment.apps/web created|configured|unchanged` per object.
 */
import { UsageError } from '../../cmd/cli.js';
import type { ApiObject } from '../api/objects.js';
import { ServerError } from './ctl_client.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';
import { type ManifestObject, parseManifest } from './manifest.js';
import { nameRef } from './printers.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };

function isObj(v: unknown): v is JsonObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `live` already has everything `want` says (extra live fields, e.g. server defaults, are fine). */
export function covers(want: unknown, live: unknown): boolean {
  if (isObj(want)) return isObj(live) && Object.entries(want).every(([k, v]) => covers(v, live[k]));
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((v, i) => covers(v, live[i]));
  return want === live;
}

/**
 * The merge patch turning `live` into what `modified` declares, deleting what
 * `original` (the last applied manifest) had and `modified` no longer has.
 * Returns null when nothing needs to change.
 */
export function threeWayPatch(original: unknown, modified: JsonObj, live: unknown): JsonObj | null {
  const patch: JsonObj = {};
  const orig = isObj(original) ? original : {};
  const cur = isObj(live) ? live : {};
  for (const [k, v] of Object.entries(modified)) {
    if (isObj(v) && isObj(cur[k])) {
      const sub = threeWayPatch(orig[k], v, cur[k]);
      if (sub !== null) patch[k] = sub;
    } else if (!covers(v, cur[k])) {
      patch[k] = v;
    }
  }
  for (const k of Object.keys(orig)) {
    if (!(k in modified) && k in cur) patch[k] = null;
  }
  return Object.keys(patch).length === 0 ? null : patch;
}

/** Reads every `-f` file into objects; UsageError when none was given. */
export function readManifests(ctx: CtlContext): ManifestObject[] {
  const files = ctx.args.lists.get('filename') ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f and -k');
  const out: ManifestObject[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = ctx.readFile(f);
    } catch (e) {
      throw new CtlError(`the path "${f}" does not exist or cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    out.push(...parseManifest(text, f));
  }
  return out;
}

/** The namespace of a manifest object: its own, or `-n`/default; a conflict with an explicit `-n` is an error. */
export function manifestNamespace(ctx: CtlContext, m: ManifestObject): string {
  if (!m.info.namespaced) return '';
  const own = m.obj.metadata.namespace;
  if (own !== undefined && own !== '') {
    if (ctx.namespaceExplicit && own !== ctx.namespace)
      throw new CtlError(`${m.where}: the namespace from the provided object "${own}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${own}' to perform this operation.`);
    return own;
  }
  return ctx.namespace;
}

function withNamespace(m: ManifestObject, ns: string): JsonObj {
  const o = structuredClone(m.obj) as unknown as JsonObj;
  if (ns !== '' && isObj(o.metadata)) o.metadata.namespace = ns;
  return o;
}

/** Runs `apply -f`. Continues past failing objects (reporting each), exit 1 if any failed. */
export async function runApply(ctx: CtlContext): Promise<number> {
  const objs = readManifests(ctx);
  let failed = 0;
  for (const m of objs) {
    const ns = manifestNamespace(ctx, m);
    const name = m.obj.metadata.name;
    const ref = nameRef(m.info, name);
    const modified = withNamespace(m, ns);
    const applied = JSON.stringify(modified);
    try {
      let live: ApiObject | null = null;
      try {
        live = await ctx.client.get(pathOf(m.info, ns, name));
      } catch (e) {
        if (!(e instanceof ServerError) || e.status !== 404) throw e;
      }
      if (live === null) {
        const body = structuredClone(modified);
        const meta = body.metadata as JsonObj;
        meta.annotations = { ...(isObj(meta.annotations) ? meta.annotations : {}), [LAST_APPLIED]: applied };
        await ctx.client.request('POST', pathOf(m.info, ns), body);
        ctx.io.log(`${ref} created`);
        continue;
      }
      const lastText = live.metadata.annotations?.[LAST_APPLIED];
      let original: unknown = {};
      if (lastText !== undefined) {
        try {
          original = JSON.parse(lastText);
        } catch {
          original = {};
        }
      }
      const patch = threeWayPatch(original, modified, live);
      if (patch === null && lastText === applied) {
        ctx.io.log(`${ref} unchanged`);
        continue;
      }
      const p = patch ?? {};
      const meta: JsonObj = isObj(p.metadata) ? p.metadata : {};
      const ann: JsonObj = isObj(meta.annotations) ? meta.annotations : {};
      ann[LAST_APPLIED] = applied;
      meta.annotations = ann;
      p.metadata = meta;
      await ctx.client.patch(pathOf(m.info, ns, name), p);
      ctx.io.log(`${ref} configured`);
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      ctx.io.err(e.display());
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Runs `create -f`: creates every object; AlreadyExists and other server errors are reported per object. */
export async function runCreateFromFiles(ctx: CtlContext): Promise<number> {
  const objs = readManifests(ctx);
  let failed = 0;
  for (const m of objs) {
    const ns = manifestNamespace(ctx, m);
    try {
      await ctx.client.request('POST', pathOf(m.info, ns), withNamespace(m, ns));
      ctx.io.log(`${nameRef(m.info, m.obj.metadata.name)} created`);
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      ctx.io.err(e.display());
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}
