/**
 * Kubernetes `Status` objects (k8s.io/apimachinery/pkg/apis/meta/v1 Status), shaped as the apiserver
 * shapes them: `kind`, `apiVersion`, empty `metadata`, `status: Failure`, `message`, `reason`,
 * optional `details`, and `code` equal to the HTTP status.
 */
import type { ServerResponse } from 'node:http';

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
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'ServerTimeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string; continue?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export function failureStatus(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details && Object.keys(details).length > 0) status.details = details;
  return status;
}

export function successStatus(details?: StatusDetails): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) status.details = details;
  return status;
}

/** `secrets` or `deployments.apps`, as the apiserver names a resource in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFoundStatus(resource: string, group: string, name: string): Status {
  const details: StatusDetails = { name, kind: resource };
  if (group) details.group = group;
  return failureStatus(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, details);
}

export function alreadyExistsStatus(resource: string, group: string, name: string): Status {
  const details: StatusDetails = { name, kind: resource };
  if (group) details.group = group;
  return failureStatus(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, details);
}

/** 422 Invalid for a named kind, with one cause per field error, as field.ErrorList aggregates them. */
export function invalidStatus(kind: string, group: string, name: string, causes: Required<StatusCause>[]): Status {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const details: StatusDetails = { name, kind, causes };
  if (group) details.group = group;
  return failureStatus(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, details);
}

/** Writes a Status as the response, unless headers already went out (then the socket is destroyed). */
export function writeStatus(res: ServerResponse, status: Status, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(status);
  res.writeHead(status.code, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache, private',
  });
  res.end(body);
}
