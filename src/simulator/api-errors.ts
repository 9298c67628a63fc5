/**
 * The apiserver's error Statuses the simulator answers with, shaped as k8s.io/apimachinery/pkg/api/errors
 * builds them (NewConflict, NewResourceExpired, NewTimeoutError, NewBadRequest, NewInvalid, NewUnauthorized)
 * and field errors as k8s.io/apimachinery/pkg/util/validation/field/errors.go renders them.
 */
import { failureStatus, invalidStatus, qualifiedResource, type Status, type StatusCause } from '../k8s/status.js';
import type { ResourceDef } from './resources.js';

export type FieldCause = Required<StatusCause>;

/** Go's %q for the plain strings we quote (names, values): JSON string quoting is the same for them. */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

export function forbiddenField(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

export function notSupportedField(field: string, value: string, supported: string[]): FieldCause {
  const list = supported.map(goQuote).join(', ');
  return { reason: 'FieldValueNotSupported', message: `Unsupported value: ${goQuote(value)}: supported values: ${list}`, field };
}

export function requiredField(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueRequired', message: `Required value: ${detail}`, field };
}

export function invalidField(field: string, value: string, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${goQuote(value)}: ${detail}`, field };
}

/** errors.NewInvalid: `details.name` is omitempty, so an empty name leaves it out. */
export function invalid(kind: string, group: string, name: string, causes: FieldCause[]): Status {
  const status = invalidStatus(kind, group, name, causes);
  if (status.details && !status.details.name) delete status.details.name;
  return status;
}

/** handlers/get.go ListResource: `errors.NewInvalid(schema.GroupKind{Group: "meta.k8s.io", Kind: "ListOptions"}, "", errs)`. */
export function invalidListOptions(causes: FieldCause[]): Status {
  return invalid('ListOptions', 'meta.k8s.io', '', causes);
}

export function badRequest(message: string): Status {
  return failureStatus(400, 'BadRequest', message);
}

export function unauthorized(): Status {
  return failureStatus(401, 'Unauthorized', 'Unauthorized');
}

/** What go-restful and the apiserver answer for a path or resource they do not serve. */
export function resourceNotFound(): Status {
  const status = failureStatus(404, 'NotFound', 'the server could not find the requested resource');
  status.details = {};
  return status;
}

export function methodNotAllowed(): Status {
  const status = failureStatus(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  status.details = {};
  return status;
}

/** handlers/negotiation/errors.go errNotAcceptable. */
export function notAcceptable(message: string): Status {
  return failureStatus(406, 'NotAcceptable', message);
}

/** errors.NewConflict: "Operation cannot be fulfilled on secrets "x": <err>". */
export function conflict(def: ResourceDef, name: string, detail: string): Status {
  const details = { name, kind: def.resource, ...(def.group ? { group: def.group } : {}) };
  return failureStatus(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(def.resource, def.group)} ${goQuote(name)}: ${detail}`, details);
}

/** storage/errors.go OptimisticLockErrorMsg, the detail of a stale-resourceVersion update. */
export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** errors.NewResourceExpired (410 Gone, reason Expired), optionally with the inconsistent continue token. */
export function expired(message: string, continueToken?: string): Status {
  const status = failureStatus(410, 'Expired', message);
  if (continueToken !== undefined) status.metadata = { continue: continueToken };
  return status;
}

/** storage/etcd3/errors.go: the messages of a compacted read. */
export const EXPIRED_LIST_MESSAGE = 'The resourceVersion for the provided list is too old.';
export const INCONSISTENT_CONTINUE_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without ' +
  'the continue parameter, or use the continue token in this response to retrieve the remainder of the results. ' +
  'Continuing with the provided token results in an inconsistent list - objects that were created, modified, or ' +
  'deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * storage/errors.go NewTooLargeResourceVersionError: a 504 Timeout ("Timeout: Too large resource version: X,
 * current: Y") with a ResourceVersionTooLarge cause; retryAfterSeconds is omitempty (0 from etcd reads).
 */
export function tooLargeResourceVersion(requested: number, current: number, retryAfterSeconds: number): Status {
  return failureStatus(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });
}

/** handlers/patch.go: a PATCH body in a content type the endpoint does not accept. */
export function unsupportedMediaType(accepted: string[]): Status {
  return failureStatus(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

export function requestTooLarge(limit: number): Status {
  return failureStatus(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/**
 * An error the apiserver has no Status for (responsewriters.ErrorToAPIStatus of a plain Go error): code
 * 500, the error's text, no reason.
 */
export function plainError(message: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 };
}

/** etcd's ErrFutureRev, as an exact read of a revision etcd has not reached surfaces. */
export const FUTURE_REVISION_MESSAGE = 'etcdserver: mvcc: required revision is a future revision';

export function internalError(message: string): Status {
  return failureStatus(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}
