/**
 * Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`):
 * requirements on dotted field paths, ANDed, with `=`/`==` and `!=`. A missing
 * field compares as ''. Kubernetes allows only a few fields per kind; we allow
 * the ones listed in `FIELD_SELECTOR_FIELDS` (what the agent, scheduler and
 * `vigil ctl` need), and reject others with an error naming the allowed ones.
 */

/** Fields that may be selected on, for every kind. */
export const FIELD_SELECTOR_FIELDS: readonly string[] = [
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'spec.unschedulable',
  'status.phase',
  'involvedObject.kind',
  'involvedObject.name',
  'involvedObject.namespace',
  'involvedObject.uid',
  'reason',
  'type',
];

export interface FieldRequirement {
  readonly path: string;
  readonly negate: boolean;
  readonly value: string;
}

export class FieldSelectorError extends Error {
  readonly code = 'invalid_field_selector';
  constructor(input: string, why: string) {
    super(`invalid field selector ${JSON.stringify(input)}: ${why}`);
    this.name = 'FieldSelectorError';
  }
}

function lookup(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  constructor(reqs: readonly FieldRequirement[]) {
    this.requirements = reqs;
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(obj: unknown): boolean {
    for (const r of this.requirements) if ((lookup(obj, r.path) === r.value) === r.negate) return false;
    return true;
  }
}

/** Parses the string form; throws `FieldSelectorError`. Input is bounded to 4096 characters. */
export function parseFieldSelector(input: string): FieldSelector {
  if (input.length > 4096) throw new FieldSelectorError(input.slice(0, 32), 'longer than 4096 characters');
  const reqs: FieldRequirement[] = [];
  if (input.trim() === '') return new FieldSelector(reqs);
  for (const part of input.split(',')) {
    const m = /^\s*([A-Za-z.]+)\s*(==|!=|=)\s*([^\s]*)\s*$/.exec(part);
    if (m === null) throw new FieldSelectorError(input, `expected FIELD=VALUE, FIELD==VALUE or FIELD!=VALUE, got ${JSON.stringify(part)}`);
    const path = m[1]!;
    if (!FIELD_SELECTOR_FIELDS.includes(path))
      throw new FieldSelectorError(input, `field "${path}" is not supported; supported fields: ${FIELD_SELECTOR_FIELDS.join(', ')}`);
    reqs.push({ path, negate: m[2] === '!=', value: m[3]! });
  }
  return new FieldSelector(reqs);
}
