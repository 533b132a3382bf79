/**
 * Reads manifests for `create -f`, `apply -f` and `delete -f`: YAML (several
 * documents separated by `---`) or JSON, each document one object or a `List`
 * of objects. Every problem names the file and, for YAML, the line and column.
 */
import type { ApiObject } from '../api/objects.js';
import { type ResourceInfo, resourceForKind } from '../api/resources.js';
import { parseAllDocuments } from 'yaml';
import { CtlError } from './ctl_context.js';

/** One object of a manifest and where it came from. */
export interface ManifestObject {
  readonly obj: ApiObject & Record<string, unknown>;
  readonly info: ResourceInfo;
  /** `file` or `file:line:column`. */
  readonly where: string;
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

function lineCol(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `${line}:${offset - last}`;
}

function check(doc: unknown, where: string, out: ManifestObject[]): void {
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CtlError(`${where}: expected an object with apiVersion and kind, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  const o = doc as Record<string, unknown>;
  if (o.kind === 'List' && Array.isArray(o.items)) {
    for (const [i, it] of o.items.entries()) check(it, `${where} (items[${i}])`, out);
    return;
  }
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') throw new CtlError(`${where}: apiVersion not set`);
  if (typeof o.kind !== 'string' || o.kind === '') throw new CtlError(`${where}: kind not set`);
  const info = resourceForKind(o.apiVersion, o.kind);
  if (info === undefined) throw new CtlError(`${where}: no matches for kind "${o.kind}" in version "${o.apiVersion}"`);
  const meta = o.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new CtlError(`${where}: metadata not set`);
  const name = (meta as Record<string, unknown>).name;
  if (typeof name !== 'string' || name === '') throw new CtlError(`${where}: metadata.name not set (a ${o.kind} needs a name)`);
  out.push({ obj: o as ApiObject & Record<string, unknown>, info, where });
}

/** Parses the manifest `text` read from `file`. Throws `CtlError` saying where a problem is. */
export function parseManifest(text: string, file: string): ManifestObject[] {
  if (text.length > MAX_MANIFEST_BYTES) throw new CtlError(`${file}: larger than ${MAX_MANIFEST_BYTES} bytes`);
  const out: ManifestObject[] = [];
  if (/^\s*[{[]/.test(text)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new CtlError(`${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    check(doc, file, out);
    return out;
  }
  for (const d of parseAllDocuments(text)) {
    if (!('errors' in d)) continue;
    const err = d.errors[0];
    if (err !== undefined) throw new CtlError(`${file}:${lineCol(text, err.pos[0])}: ${err.message.split('\n')[0]}`);
    const start = d.contents?.range?.[0] ?? d.range[0];
    check(d.toJS({ maxAliasCount: 100 }), `${file}:${lineCol(text, start)}`, out);
  }
  return out;
}
