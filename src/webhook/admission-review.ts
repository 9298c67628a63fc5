/**
 * AdmissionReview v1 (admission.k8s.io/v1) as a mutating webhook reads and answers it: the request read
 * from an unknown JSON value (what does not have the shape is reported, never thrown), and the responses —
 * allowed with an optional base64 JSONPatch, or an error (`allowed: false` with a Status-shaped result).
 * Messages never echo raw input: a kind or API version from the review is quoted only when it is made of
 * name characters. Pure.
 */
import type { Operation } from 'fast-json-patch';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  /** '' for the resource itself; `ephemeralcontainers` for pods/ephemeralcontainers. */
  readonly subResource: string;
  readonly operation: string;
  readonly namespace: string;
  readonly name: string;
  readonly object: unknown;
  /** The object before an UPDATE (null or absent for a CREATE). */
  readonly oldObject: unknown;
  readonly dryRun: boolean;
}

export type ReadReview = { readonly ok: true; readonly request: AdmissionRequest } | { readonly ok: false; readonly message: string };

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    patchType?: 'JSONPatch';
    patch?: string;
    warnings?: string[];
    status?: { code: number; reason: string; message: string };
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A value from the review fit to quote in a message: name characters only, at most 63 of them. */
export function quoteName(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9._/-]{1,63}$/.test(value) ? JSON.stringify(value) : '(unreadable)';
}

export function readAdmissionReview(body: unknown): ReadReview {
  if (!isRecord(body)) return { ok: false, message: 'the body is not a JSON object; expected an AdmissionReview' };
  if (body.kind !== 'AdmissionReview' || body.apiVersion !== ADMISSION_API_VERSION) {
    return {
      ok: false,
      message: `expected kind AdmissionReview of ${ADMISSION_API_VERSION}, got kind ${quoteName(body.kind)} of ${quoteName(body.apiVersion)}; list only v1 in the webhook's admissionReviewVersions`,
    };
  }
  const request = body.request;
  if (!isRecord(request)) return { ok: false, message: 'the AdmissionReview has no request' };
  if (typeof request.uid !== 'string' || request.uid === '') return { ok: false, message: 'the AdmissionReview request has no uid' };
  const kind = isRecord(request.kind) ? request.kind : {};
  const resource = isRecord(request.resource) ? request.resource : {};
  return {
    ok: true,
    request: {
      uid: request.uid,
      kind: { group: text(kind.group), version: text(kind.version), kind: text(kind.kind) },
      resource: { group: text(resource.group), version: text(resource.version), resource: text(resource.resource) },
      subResource: text(request.subResource),
      operation: text(request.operation),
      namespace: text(request.namespace),
      name: text(request.name),
      object: request.object,
      oldObject: request.oldObject,
      dryRun: request.dryRun === true,
    },
  };
}

/** Allowed, with the patch when there is one. */
export function allowReview(uid: string, patch?: readonly Operation[]): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid, allowed: true };
  if (patch && patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** Refused: the apiserver shows `message` to the client that made the request. */
export function refuseReview(uid: string, code: number, reason: string, message: string): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: false, status: { code, reason, message } } };
}
