/**
 * `ApiError`: a failed API request as Kubernetes reports it — an HTTP status
 * plus a `Status` object (`kind: Status`, `status: Failure`, `reason`,
 * `message`, `details` with field `causes`). The registry throws these; the
 * HTTP layer sends `toStatus()` with `code`. Messages use Kubernetes' wording
 * (`pods "web" not found`, `Operation cannot be fulfilled on …`) so users can
 * search for them.
 */
import type { ResourceInfo } from './resources.js';
import { qualifiedKind, qualifiedResource } from './resources.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'ServiceUnavailable'
  | 'InternalError';

/** One field problem (reason `FieldValueInvalid`, `FieldValueRequired`, …). */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** The wire form. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details !== undefined) s.details = this.details;
    return s;
  }
}

function det(info: ResourceInfo, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: info.resource };
  if (info.group !== '') d.group = info.group;
  return d;
}

export function notFoundError(info: ResourceInfo, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(info)} "${name}" not found`, det(info, name));
}

export function alreadyExistsError(info: ResourceInfo, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`, det(info, name));
}

export function conflictError(info: ResourceInfo, name: string, why?: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${why ?? 'the object has been modified; please apply your changes to the latest version and try again'}`,
    det(info, name),
  );
}

/** 410 for a list/get/watch at a compacted resourceVersion (`Expired`, as Kubernetes answers). */
export function expiredError(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** `<resource> "<name>" is forbidden: <why>` (quota, terminating namespace, protected objects). */
export function forbiddenError(info: ResourceInfo, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualifiedResource(info)} "${name}" is forbidden: ${why}`, det(info, name));
}

/** A field problem found by validation. */
export interface FieldError {
  /** `spec.replicas`, `spec.template.spec.containers[0].image`, `metadata.labels[app]`. */
  field: string;
  type: 'Invalid' | 'Required' | 'Unsupported' | 'Duplicate' | 'Forbidden' | 'TooLong';
  /** The offending value (printed for Invalid/Unsupported/Duplicate). */
  value?: unknown;
  detail: string;
}

const CAUSE_REASON: Readonly<Record<FieldError['type'], string>> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Unsupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
};

function printValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The message part after the field, e.g. `Invalid value: -1: must be greater than or equal to 0`. */
export function fieldErrorMessage(e: FieldError): string {
  switch (e.type) {
    case 'Invalid':
      return `Invalid value: ${printValue(e.value)}: ${e.detail}`;
    case 'Unsupported':
      return `Unsupported value: ${printValue(e.value)}: ${e.detail}`;
    case 'Duplicate':
      return `Duplicate value: ${printValue(e.value)}`;
    case 'Required':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'Forbidden':
      return `Forbidden: ${e.detail}`;
    case 'TooLong':
      return `Too long: ${e.detail}`;
  }
}

/**
 * 422 Invalid: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`
 * (several problems are joined with ", " inside brackets, as Kubernetes does).
 */
export function invalidError(info: ResourceInfo, name: string, errs: readonly FieldError[]): ApiError {
  const parts = errs.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
  const body = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  const details: StatusDetails = {
    ...det(info, name),
    kind: info.kind,
    causes: errs.map((e) => ({ reason: CAUSE_REASON[e.type], message: fieldErrorMessage(e), field: e.field })),
  };
  return new ApiError(422, 'Invalid', `${qualifiedKind(info)} "${name}" is invalid: ${body}`, details);
}
