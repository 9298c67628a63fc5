/**
 * SelfSubjectAccessReview and SelfSubjectRulesReview (pkg/registry/authorization/
 * {selfsubjectaccessreview,selfsubjectrulesreview}/rest.go): what `kubectl auth can-i` and
 * `kubectl auth can-i --list` ask, answered for the caller by the simulator's authorizer (authorizer.ts).
 * Both are create-only and answer 201; kubectl sends them as protobuf (protobuf-authorization.ts).
 * Access reviews (these and SubjectAccessReviews) are validated as pkg/apis/authorization/validation does:
 * exactly one of resourceAttributes and nonResourceAttributes, and for a SubjectAccessReview a user or a
 * group; the 422 names the bare group (`.authorization.k8s.io ""`).
 */
import type { Status } from '../k8s/status.js';
import { invalid, invalidField, type FieldCause } from './api-errors.js';
import { resourceAttributesOf } from './authorizer.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { sendJson, sendStatus } from './http-io.js';

type Obj = Record<string, unknown>;

/** The 422 for an access review's spec, or undefined when it is valid. */
export function invalidAccessReview(spec: Obj, self: boolean): Status | undefined {
  const causes: FieldCause[] = [];
  const resource = spec['resourceAttributes'];
  const nonResource = spec['nonResourceAttributes'] as Obj | undefined;
  if (resource !== undefined && nonResource !== undefined) {
    const go = `authorization.NonResourceAttributes{Path:${JSON.stringify(String(nonResource['path'] ?? ''))}, Verb:${JSON.stringify(String(nonResource['verb'] ?? ''))}}`;
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${go}: cannot be specified in combination with resourceAttributes`, field: 'spec.nonResourceAttributes' });
  }
  if (resource === undefined && nonResource === undefined) {
    causes.push(invalidField('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  const groups = spec['groups'];
  if (!self && !spec['user'] && !(Array.isArray(groups) && groups.length > 0)) {
    causes.push(invalidField('spec.user', '', 'at least one of user or group must be specified'));
  }
  if (causes.length === 0) return undefined;
  const status = invalid('', 'authorization.k8s.io', '', causes);
  delete status.details?.kind;
  return status;
}

export function serveSelfSubjectAccessReview(ctx: SimulatorContext, r: ResourceRequest, body: Obj): void {
  const spec = (body['spec'] ?? {}) as Obj;
  const head = { kind: r.def.kind, apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null } };
  const resource = spec['resourceAttributes'];
  const nonResource = spec['nonResourceAttributes'] as Obj | undefined;
  const refused = invalidAccessReview(spec, true);
  if (refused) return sendStatus(r.res, refused);
  const who = r.identity;
  const decision = nonResource
    ? ctx.authorizer.authorizeNonResource(who, String(nonResource['verb'] ?? ''), String(nonResource['path'] ?? ''))
    : ctx.authorizer.authorizeResource(who, resourceAttributesOf(resource));
  const status = decision.reason ? { allowed: decision.allowed, reason: decision.reason } : { allowed: decision.allowed };
  sendJson(r.res, 201, { ...head, spec, status });
}

export function serveSelfSubjectRulesReview(ctx: SimulatorContext, r: ResourceRequest, body: Obj): void {
  const spec = (body['spec'] ?? {}) as Obj;
  const namespace = typeof spec['namespace'] === 'string' ? spec['namespace'] : '';
  const rules = ctx.authorizer.rulesFor(r.identity, namespace);
  sendJson(r.res, 201, {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: {},
    status: { ...rules, incomplete: false },
  });
}
