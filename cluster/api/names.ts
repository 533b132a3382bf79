/**
 * Syntax of names, label keys and label values, as Kubernetes checks them.
 * Each function returns a list of problems (empty = valid) phrased like
 * Kubernetes' messages, so validation can attach them to a field path.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Namespaces, services, container and port names: lower-case alphanumerics and '-', ≤ 63. */
export function dns1123Label(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(s))
    out.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc')",
    );
  return out;
}

/** Most object names: DNS-1123 subdomain, ≤ 253. */
export function dns1123Subdomain(s: string): string[] {
  const out: string[] = [];
  if (s.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(s))
    out.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  return out;
}

/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 of [A-Za-z0-9-_.]. */
export function qualifiedName(s: string): string[] {
  const slash = s.indexOf('/');
  const prefix = slash >= 0 ? s.slice(0, slash) : '';
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  const out: string[] = [];
  if (slash >= 0) {
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else for (const m of dns1123Subdomain(prefix)) out.push(`prefix part ${m}`);
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name))
    out.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc')",
    );
  return out;
}

/** Label values: empty, or ≤ 63 of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function labelValue(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(s))
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345')",
    );
  return out;
}

/** Environment variable names (Kubernetes' relaxed rule). */
export function envVarName(s: string): string[] {
  return ENV_VAR_NAME.test(s)
    ? []
    : ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"];
}

/** ConfigMap/Secret keys: [-._a-zA-Z0-9]+, ≤ 253, not '.' or '..'. */
export function configMapKey(s: string): string[] {
  if (s.length === 0 || s.length > 253) return ['must be between 1 and 253 characters'];
  if (!/^[-._a-zA-Z0-9]+$/.test(s)) return ["a valid config key must consist of alphanumeric characters, '-', '_' or '.'"];
  if (s === '.' || s === '..') return [`must not be '${s}'`];
  return [];
}

/** Whether `s` is a C identifier (used for generated env var names). */
export function isCIdentifier(s: string): boolean {
  return C_IDENTIFIER.test(s);
}
