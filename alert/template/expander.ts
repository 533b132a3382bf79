/**
 * Expands alert label and annotation templates as Prometheus does
 * (`template.NewTemplateExpander(...).Expand()` in `rules/alerting.go`):
 * the text is prefixed with the variable definitions
 * `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}`
 * and executed with data `{Labels, ExternalLabels, ExternalURL, Value}` and the
 * Prometheus function map. Failures read `error parsing template NAME: …` or
 * `error executing template NAME: …`; alerting rules turn them into the value
 * `<error expanding template: …>`.
 */
import { BUILTINS, executeTemplate, type TemplateFunc } from './exec.js';
import { type FunctionContext, prometheusFunctions } from './functions.js';
import { TemplateParseError } from './lexer.js';
import { type ParsedTemplate, parseTemplate } from './parser.js';
import { GoMap, GoStruct, type TValue } from './value.js';

/** The variable definitions Prometheus prepends to every alert template. */
export const ALERT_TEMPLATE_DEFS = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

/** Data of one alert template expansion. */
export interface AlertTemplateData {
  /** The alert's labels (without `__name__`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalUrl: string;
  /** The alert's current sample value. */
  readonly value: number;
}

/** Names of every function a template may call (builtins and Prometheus's). */
export const TEMPLATE_FUNCTION_NAMES: ReadonlySet<string> = new Set([
  ...BUILTINS.keys(),
  ...prometheusFunctions({ timeMs: 0, externalUrl: '', queryFn: null }).keys(),
]);

const cache = new Map<string, ParsedTemplate | TemplateParseError>();
/** Function maps per expansion context: an evaluation shares one context across all its alerts. */
const funcCache = new WeakMap<FunctionContext, Map<string, TemplateFunc>>();
const CACHE_MAX = 10_000;

function parseCached(name: string, text: string): ParsedTemplate {
  const key = `${name}\u0000${text}`;
  let p = cache.get(key);
  if (p === undefined) {
    try {
      p = parseTemplate(name, text, TEMPLATE_FUNCTION_NAMES);
    } catch (e) {
      if (!(e instanceof TemplateParseError)) throw e;
      p = e;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, p);
  }
  if (p instanceof TemplateParseError) throw p;
  return p;
}

/** Checks that `text` (with the alert definitions prepended) parses; returns Go's error text or null. */
export function checkAlertTemplate(name: string, text: string): string | null {
  try {
    parseCached(name, ALERT_TEMPLATE_DEFS + text);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The data value (`.`) of an alert template. */
export function alertTemplateData(d: AlertTemplateData): TValue {
  return new GoStruct(
    'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }',
    new Map<string, TValue>([
      ['Labels', GoMap.ofStrings(d.labels)],
      ['ExternalLabels', GoMap.ofStrings(d.externalLabels)],
      ['ExternalURL', d.externalUrl],
      ['Value', d.value],
    ]),
    false,
  );
}

/**
 * Expands `text` (no definitions prepended) named `name` with `data` as dot.
 * Rejects with an Error whose message is Prometheus's (`error parsing template …` / `error executing template …`).
 */
export async function expandTemplate(name: string, text: string, data: TValue, fctx: FunctionContext, extra?: ReadonlyMap<string, TemplateFunc>): Promise<string> {
  let parsed: ParsedTemplate;
  try {
    parsed = parseCached(name, text);
  } catch (e) {
    throw new Error(`error parsing template ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let funcs = extra === undefined ? funcCache.get(fctx) : undefined;
  if (funcs === undefined) {
    funcs = new Map<string, TemplateFunc>([...BUILTINS, ...prometheusFunctions(fctx), ...(extra ?? [])]);
    if (extra === undefined) funcCache.set(fctx, funcs);
  }
  try {
    return await executeTemplate(parsed, data, funcs);
  } catch (e) {
    throw new Error(`error executing template ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Expands one alert label or annotation template; never rejects: an error becomes
 * `<error expanding template: …>`, as in Prometheus.
 */
export async function expandAlertTemplate(alertName: string, text: string, data: AlertTemplateData, fctx: FunctionContext): Promise<string> {
  try {
    return await expandTemplate(`__alert_${alertName}`, ALERT_TEMPLATE_DEFS + text, alertTemplateData(data), fctx);
  } catch (e) {
    return `<error expanding template: ${e instanceof Error ? e.message : String(e)}>`;
  }
}
