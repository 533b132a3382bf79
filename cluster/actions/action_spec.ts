/**
 * The action an alerting rule asks of the cluster, written in its annotations so
 * rule files stay valid for promtool and Prometheus:
 *
 *   annotations:
 *     action: "scale deployment/{{ $labels.namespace }}/{{ $labels.deployment }} +1"
 *     action_cooldown: 5m          # optional; repeat while firing at most this often
 *     action_dry_run: "true"       # optional; per rule (the group-wide switch is a group label, see executor)
 *
 * Grammar (after template expansion, which the rule engine does for every annotation):
 *
 *   scale    deployment/NS/NAME (+N | -N | =N | *F)   N a non-negative integer, F a positive decimal
 *   restart  pod/NS/NAME
 *   cordon   node/NAME
 *   failover node/NAME
 *   rollback deployment/NS/NAME
 *
 * Words are separated by blanks; names follow Kubernetes' DNS-1123 subdomain rule.
 * `parseActionSpec` throws `ActionSpecError` (stable `code`, message naming the
 * offending word). `checkActionTemplate` validates an unexpanded annotation for
 * `vigil check rules`: each `{{ … }}` stands for any valid name or number.
 */
import { DurationError, parseDuration } from '../../tsdb/duration.js';

export const ACTION_ANNOTATION = 'action';
export const COOLDOWN_ANNOTATION = 'action_cooldown';
export const DRY_RUN_KEY = 'action_dry_run';

/** Longest action text accepted (bounded untrusted input). */
export const MAX_ACTION_LENGTH = 1024;

export type ActionVerb = 'scale' | 'restart' | 'cordon' | 'failover' | 'rollback';
export const ACTION_VERBS: readonly ActionVerb[] = ['scale', 'restart', 'cordon', 'failover', 'rollback'];

export type ActionErrorCode = 'empty' | 'too_long' | 'unknown_verb' | 'bad_target' | 'bad_amount' | 'bad_arity' | 'bad_cooldown';

/** A malformed action annotation. */
export class ActionSpecError extends Error {
  readonly code: ActionErrorCode;
  constructor(code: ActionErrorCode, message: string) {
    super(message);
    this.name = 'ActionSpecError';
    this.code = code;
  }
}

/** The object an action acts on. `namespace` is '' for nodes. */
export interface ActionTarget {
  readonly kind: 'deployment' | 'pod' | 'node';
  readonly namespace: string;
  readonly name: string;
}

/** How `scale` changes the replica count. */
export type ScaleChange = { readonly op: '+' | '-' | '='; readonly n: number } | { readonly op: '*'; readonly factor: number };

export type ActionSpec =
  | { readonly verb: 'scale'; readonly target: ActionTarget; readonly change: ScaleChange }
  | { readonly verb: 'restart' | 'cordon' | 'failover' | 'rollback'; readonly target: ActionTarget };

/** Which target kind each verb takes. */
const TARGET_KIND: Readonly<Record<ActionVerb, ActionTarget['kind']>> = {
  scale: 'deployment',
  restart: 'pod',
  cordon: 'node',
  failover: 'node',
  rollback: 'deployment',
};

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Stands for one `{{ … }}` in `checkActionTemplate`. */
const HOLE = '\u0000';

function validName(s: string): boolean {
  const t = s.replaceAll(HOLE, 'a');
  return t.length <= 253 && NAME_RE.test(t);
}

function parseTarget(verb: ActionVerb, word: string | undefined): ActionTarget {
  const kind = TARGET_KIND[verb];
  const shape = kind === 'node' ? 'node/NAME' : `${kind}/NAMESPACE/NAME`;
  if (word === undefined) throw new ActionSpecError('bad_arity', `${verb}: missing target, expected ${shape}`);
  const parts = word.split('/');
  const show = JSON.stringify(word.replaceAll(HOLE, '{{…}}'));
  if (parts[0] !== kind) throw new ActionSpecError('bad_target', `${verb}: target ${show} must be ${shape}`);
  if (kind === 'node') {
    if (parts.length !== 2 || !validName(parts[1]!)) throw new ActionSpecError('bad_target', `${verb}: target ${show} must be ${shape} with a DNS-1123 name`);
    return { kind, namespace: '', name: parts[1]! };
  }
  if (parts.length !== 3 || !validName(parts[1]!) || !validName(parts[2]!)) {
    throw new ActionSpecError('bad_target', `${verb}: target ${show} must be ${shape} with DNS-1123 names`);
  }
  return { kind, namespace: parts[1]!, name: parts[2]! };
}

function parseChange(word: string | undefined): ScaleChange {
  if (word === undefined) throw new ActionSpecError('bad_arity', 'scale: missing change, expected +N, -N, =N or *F');
  const op = word[0];
  const rest = word.slice(1).replaceAll(HOLE, '1');
  const show = JSON.stringify(word.replaceAll(HOLE, '{{…}}'));
  if (op === '+' || op === '-' || op === '=') {
    if (!/^[0-9]{1,6}$/.test(rest)) throw new ActionSpecError('bad_amount', `scale: change ${show} must be ${op}N with N a whole number up to 6 digits`);
    return { op, n: Number(rest) };
  }
  if (op === '*') {
    const f = /^[0-9]{1,6}(\.[0-9]{1,6})?$/.test(rest) ? Number(rest) : Number.NaN;
    if (!(f > 0)) throw new ActionSpecError('bad_amount', `scale: change ${show} must be *F with F a positive decimal`);
    return { op, factor: f };
  }
  throw new ActionSpecError('bad_amount', `scale: change ${show} must start with +, -, = or *`);
}

/** Parses an expanded `action` annotation. Throws `ActionSpecError`. */
export function parseActionSpec(text: string): ActionSpec {
  if (text.length > MAX_ACTION_LENGTH) throw new ActionSpecError('too_long', `action is ${text.length} characters, the limit is ${MAX_ACTION_LENGTH}`);
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  const verbWord = words[0];
  if (verbWord === undefined) throw new ActionSpecError('empty', 'action is empty');
  if (!(ACTION_VERBS as readonly string[]).includes(verbWord)) {
    throw new ActionSpecError('unknown_verb', `unknown action verb ${JSON.stringify(verbWord.replaceAll(HOLE, '{{…}}'))}, expected one of ${ACTION_VERBS.join(', ')}`);
  }
  const verb = verbWord as ActionVerb;
  const target = parseTarget(verb, words[1]);
  const want = verb === 'scale' ? 3 : 2;
  if (words.length > want) throw new ActionSpecError('bad_arity', `${verb}: unexpected ${JSON.stringify(words[want]!.replaceAll(HOLE, '{{…}}'))} after the ${verb === 'scale' ? 'change' : 'target'}`);
  if (verb === 'scale') return { verb, target, change: parseChange(words[2]) };
  return { verb, target };
}

/** Parses `action_cooldown` (a Prometheus duration); absent or '' → 0 (run once per firing episode). */
export function parseCooldown(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0;
  try {
    return parseDuration(text.trim());
  } catch (e) {
    const why = e instanceof DurationError || e instanceof Error ? e.message : String(e);
    throw new ActionSpecError('bad_cooldown', `action_cooldown ${JSON.stringify(text)}: ${why}`);
  }
}

/**
 * Checks an unexpanded `action` annotation: every `{{ … }}` may stand for any name
 * or number, the rest must fit the grammar. Returns null when valid, else the problem.
 */
export function checkActionTemplate(text: string): string | null {
  const holed = text.replace(/\{\{[\s\S]*?\}\}/g, HOLE);
  try {
    parseActionSpec(holed);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Renders a spec back to its text (for Events and audit lines). */
export function formatActionSpec(s: ActionSpec): string {
  const t = s.target.kind === 'node' ? `node/${s.target.name}` : `${s.target.kind}/${s.target.namespace}/${s.target.name}`;
  if (s.verb !== 'scale') return `${s.verb} ${t}`;
  const c = s.change;
  return `scale ${t} ${c.op === '*' ? `*${c.factor}` : `${c.op}${c.n}`}`;
}

/**
 * The problems with one alerting rule's action annotations, for `vigil check rules`
 * (empty when it has none or they are valid). Templates are allowed.
 */
export function checkActionAnnotations(annotations: Readonly<Record<string, string>>): string[] {
  const errs: string[] = [];
  const a = annotations[ACTION_ANNOTATION];
  if (a !== undefined) {
    const e = checkActionTemplate(a);
    if (e !== null) errs.push(`annotation "${ACTION_ANNOTATION}": ${e}`);
  }
  const c = annotations[COOLDOWN_ANNOTATION];
  if (c !== undefined && !c.includes('{{')) {
    try {
      parseCooldown(c);
    } catch (e) {
      errs.push(`annotation "${COOLDOWN_ANNOTATION}": ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const d = annotations[DRY_RUN_KEY];
  if (d !== undefined && d !== 'true' && d !== 'false' && !d.includes('{{')) errs.push(`annotation "${DRY_RUN_KEY}": must be "true" or "false", got ${JSON.stringify(d)}`);
  return errs;
}
