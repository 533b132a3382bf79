/**
 * Target groups and the discoverer contract, after Prometheus's `discovery/targetgroup`
 * and `discovery.Discoverer`.
 *
 * A discoverer reports groups of targets keyed by `source` (unique within that
 * discoverer). A report replaces the groups with the same sources; a group with no
 * targets clears its source. Consumers therefore keep a map source → group.
 */
import { parse as parseYaml } from 'yaml';
import { isValidLabelName } from '../../tsdb/labels.js';

/** One group of targets from a discovery source. */
export interface TargetGroup {
  /** Each target's own labels; every target has at least `__address__`. */
  readonly targets: readonly Readonly<Record<string, string>>[];
  /** Labels common to all targets of the group (a target's own labels win). */
  readonly labels: Readonly<Record<string, string>>;
  /** Identifies the group within its discoverer (e.g. `file.json:0`, `http://sd/targets:3`). */
  readonly source: string;
}

/** Receives updates from a discoverer. */
export type TargetGroupsHandler = (groups: readonly TargetGroup[]) => void;

/**
 * A service discovery mechanism (static, file, HTTP, and later the cluster manager).
 * `start` begins discovering and calls `onUpdate` with changed groups (the first call
 * carries all groups, possibly none); `stop` ends it, after which `onUpdate` is never
 * called again. Discoverers never throw from their timers: failures are logged via
 * `onError` and the last good groups stay in force.
 */
export interface Discoverer {
  /** A short name for metrics and logs: `static`, `file`, `http`, `cluster`. */
  readonly mechanism: string;
  start(onUpdate: TargetGroupsHandler, onError: (err: Error) => void): void;
  stop(): void;
}

/** A target group document that is not valid. */
export class TargetGroupError extends Error {
  readonly code = 'bad_target_groups';
  constructor(where: string, detail: string) {
    super(`${where}: ${detail}`);
    this.name = 'TargetGroupError';
  }
}

/**
 * Parses the file SD / HTTP SD document format — a list of `{targets: [...], labels: {...}}` —
 * from JSON (`format: 'json'`) or YAML text. `sourcePrefix` names the document in messages
 * and in group sources (`<prefix>:<index>`); `extraLabels` are added to every group
 * (`__meta_filepath`, `__meta_url`).
 */
export function parseTargetGroups(
  text: string,
  format: 'json' | 'yaml',
  sourcePrefix: string,
  extraLabels: Readonly<Record<string, string>>,
): TargetGroup[] {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new TargetGroupError(sourcePrefix, `cannot parse ${format === 'json' ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new TargetGroupError(sourcePrefix, `expected a list of target groups, received ${typeName(doc)}`);
  return doc.map((g: unknown, i: number): TargetGroup => {
    const where = `${sourcePrefix}: target group ${i}`;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) {
      throw new TargetGroupError(where, g === null ? `nil target group item found (index ${i})` : `expected an object, received ${typeName(g)}`);
    }
    const o = g as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'targets' && k !== 'labels') throw new TargetGroupError(where, `unknown field ${JSON.stringify(k)} (expected targets, labels)`);
    }
    const rawTargets = o.targets ?? [];
    if (!Array.isArray(rawTargets)) throw new TargetGroupError(where, `expected "targets" to be a list of strings, received ${typeName(rawTargets)}`);
    const targets = rawTargets.map((t: unknown, j: number) => {
      if (typeof t !== 'string') throw new TargetGroupError(where, `target ${j}: expected a string, received ${typeName(t)}`);
      return { __address__: t };
    });
    const labels: Record<string, string> = {};
    const rawLabels = o.labels ?? {};
    if (rawLabels === null || typeof rawLabels !== 'object' || Array.isArray(rawLabels)) {
      throw new TargetGroupError(where, `expected "labels" to be a mapping, received ${typeName(rawLabels)}`);
    }
    for (const [k, v] of Object.entries(rawLabels as Record<string, unknown>)) {
      if (!isValidLabelName(k)) throw new TargetGroupError(where, `invalid label name ${JSON.stringify(k)}`);
      if (typeof v !== 'string') throw new TargetGroupError(where, `label ${JSON.stringify(k)}: expected a string value, received ${typeName(v)}`);
      labels[k] = v;
    }
    Object.assign(labels, extraLabels);
    return { targets, labels, source: `${sourcePrefix}:${i}` };
  });
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}
