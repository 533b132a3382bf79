/**
 * `podTemplateHash`: the name of a Deployment revision. Equal pod templates
 * give equal hashes (keys are serialised in sorted order, so field order in
 * the user's YAML does not matter); any change gives, with overwhelming
 * likelihood, a different one. The deployment controller names ReplicaSets
 * `<deployment>-<hash>` and labels them and their pods `pod-template-hash=<hash>`,
 * as Kubernetes does. `collisionCount` (Deployment status) perturbs the hash
 * when two templates collide.
 *
 * Algorithm: 32-bit FNV-1a over the canonical JSON, rendered with Kubernetes'
 * "safe" alphabet (no vowels, no look-alike characters) so names never spell words.
 */
import type { PodTemplateSpec } from './objects.js';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted recursively (arrays keep their order). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function fnv1a32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The hash of a pod template (lower-case, 1–10 characters, DNS-label safe). */
export function podTemplateHash(template: PodTemplateSpec, collisionCount = 0): string {
  let h = fnv1a32(canonicalJson(template));
  if (collisionCount > 0) h = fnv1a32(String(collisionCount), h);
  let out = '';
  do {
    out += SAFE_ALPHABET[h % SAFE_ALPHABET.length];
    h = Math.floor(h / SAFE_ALPHABET.length);
  } while (h > 0);
  return out;
}
