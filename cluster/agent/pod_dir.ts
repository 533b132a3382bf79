/**
 * The per-pod directory under the agent's data dir:
 *
 *   <data-dir>/pods/<namespace>_<name>_<uid>/
 *     logs/<container>.log[.1]       container logs (logs.ts)
 *     volumes/<volume>/<key>         ConfigMap (0644) and Secret (0600) files, emptyDir scratch
 *     <mountPath> → volumes/<volume> a symlink per volumeMount, relative to the pod dir
 *     serviceaccount/token           the pod's service account token (0600, directory 0700), when it has one
 *
 * The pod dir itself is every container's default working directory, so the
 * containers of one pod share files there.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import type { Pod } from '../api/objects.js';
import { PodConfigError, type PodInputs } from './env.js';

/** Path of a pod's directory. */
export function podDirPath(dataDir: string, pod: Pod): string {
  const m = pod.metadata;
  return join(dataDir, 'pods', `${m.namespace ?? 'default'}_${m.name}_${safeUid(m.uid ?? 'nouid')}`);
}

/** Path of a pod's service account token file. */
export function serviceAccountTokenPath(dataDir: string, pod: Pod): string {
  return join(podDirPath(dataDir, pod), 'serviceaccount', 'token');
}

/** A uid as one path component (hyperid uids are base64 and may hold '/' and '+'). */
export function safeUid(uid: string): string {
  return uid.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Resolves `rel` inside `root`, refusing absolute paths and escapes with '..'. */
export function insideDir(root: string, rel: string, what: string): string {
  const n = normalize(rel);
  if (isAbsolute(rel) || n === '..' || n.startsWith(`..${sep}`)) throw new PodConfigError(`${what} "${rel}" must be a relative path inside the pod directory`);
  return join(root, n);
}

/** A key must be a plain file name. */
function keyFile(dir: string, key: string, what: string): string {
  if (key === '' || key === '.' || key === '..' || key.includes('/') || key.includes('\0')) throw new PodConfigError(`${what}: key "${key}" is not a valid file name`);
  return join(dir, key);
}

/**
 * Makes `dir` hold exactly `files`: each written to a temporary name and renamed over the
 * old one (a reader sees the old or the new content, never half), keys no longer present removed.
 */
function syncFiles(dir: string, files: [string, Buffer][], mode: number, what: string): void {
  const keep = new Set<string>();
  for (const [k, data] of files) {
    const f = keyFile(dir, k, what);
    const tmp = join(dir, `.${k}.tmp`);
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode); // the umask may have narrowed or a leftover file kept another mode
    renameSync(tmp, f);
    keep.add(k);
  }
  for (const name of readdirSync(dir)) if (!keep.has(name)) rmSync(join(dir, name), { force: true, recursive: true });
}

/**
 * Creates the pod directory with its volumes and mount links. Idempotent: called again with
 * newer inputs it brings ConfigMap and Secret files up to date (as the kubelet refreshes volumes).
 * Throws PodConfigError for a missing non-optional ConfigMap/Secret or a bad mount path.
 */
export function preparePodDir(dataDir: string, pod: Pod, inputs: PodInputs): string {
  const dir = podDirPath(dataDir, pod);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'volumes'), { recursive: true });
  for (const v of pod.spec.volumes ?? []) {
    const vdir = insideDir(join(dir, 'volumes'), v.name, `volume name`);
    mkdirSync(vdir, { recursive: true });
    if (v.configMap !== undefined) {
      const cm = inputs.configMaps.get(v.configMap.name);
      if (cm === undefined && v.configMap.optional !== true) throw new PodConfigError(`volume "${v.name}": configmap "${v.configMap.name}" not found`);
      syncFiles(vdir, Object.entries(cm?.data ?? {}).map(([k, val]) => [k, Buffer.from(val)]), 0o644, `volume "${v.name}"`);
    } else if (v.secret !== undefined) {
      const s = inputs.secrets.get(v.secret.secretName);
      if (s === undefined && v.secret.optional !== true) throw new PodConfigError(`volume "${v.name}": secret "${v.secret.secretName}" not found`);
      chmodSync(vdir, 0o700);
      syncFiles(vdir, Object.entries(s?.data ?? {}).map(([k, val]) => [k, Buffer.from(val, 'base64')]), 0o600, `volume "${v.name}"`);
    }
  }
  if (inputs.serviceAccountToken !== undefined) {
    const sdir = join(dir, 'serviceaccount');
    mkdirSync(sdir, { recursive: true, mode: 0o700 });
    chmodSync(sdir, 0o700);
    syncFiles(sdir, [['token', Buffer.from(inputs.serviceAccountToken)]], 0o600, 'service account token');
  }
  const volumes = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  for (const c of pod.spec.containers) {
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) throw new PodConfigError(`container "${c.name}": volumeMount refers to the unknown volume "${m.name}"`);
      const link = insideDir(dir, m.mountPath, `container "${c.name}" mountPath`);
      if (link === dir) throw new PodConfigError(`container "${c.name}": mountPath "${m.mountPath}" is the pod directory itself`);
      if (existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), join(dir, 'volumes', m.name)), link);
    }
  }
  return dir;
}

/** Deletes a pod's directory (after the pod is gone). */
export function removePodDir(dataDir: string, pod: Pod): void {
  rmSync(podDirPath(dataDir, pod), { recursive: true, force: true });
}
