/**
 * SelfSubjectAccessReview and SelfSubjectRulesReview (pkg/registry/authorization/
 * {selfsubjectaccessreview,selfsubjectrulesreview}/rest.go): what `kubectl auth can-i` and
 * `kubectl auth can-i --list` ask, answered for the caller by the simulator's authorizer (authorizer.ts).
 * Both are create-only and answer 201; kubectl sends them as protobuf (protobuf-authorization.ts).
 * An access review needs exactly one of resourceAttributes and nonResourceAttributes (422 otherwise,
 * ValidateSelfSubjectAccessReviewSpec).
 */
import { invalid } from './api-errors.js';
import { resourceAttributesOf } from './authorizer.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { sendJson, sendStatus } from './http-io.js';

type Obj = Record<string, unknown>;

export function serveSelfSubjectAccessReview(ctx: SimulatorContext, r: ResourceRequest, body: Obj): void {
  const spec = (body['spec'] ?? {}) as Obj;
  const head = { kind: r.def.kind, apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null } };
  const resource = spec['resourceAttributes'];
  const nonResource = spec['nonResourceAttributes'] as Obj | undefined;
  if ((resource === undefined) === (nonResource === undefined)) {
    const message = resource === undefined ? 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' : 'Invalid value: "resourceAttributes": cannot be specified in combination with resourceAttributes';
    return sendStatus(r.res, invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [{ reason: resource === undefined ? 'FieldValueRequired' : 'FieldValueInvalid', message, field: resource === undefined ? 'spec.resourceAttributes' : 'spec.nonResourceAttributes' }]));
  }
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
