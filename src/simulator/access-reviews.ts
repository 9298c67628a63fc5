/**
 * SubjectAccessReview and SelfSubjectAccessReview (pkg/registry/authorization/{subjectaccessreview,
 * selfsubjectaccessreview}/rest.go): the spec is validated as pkg/apis/authorization/validation does (422
 * on the bare group, `.authorization.k8s.io ""`), a SelfSubjectAccessReview is asked as the caller, and the
 * simulator's authorizer answers (`{allowed: false}` carries no reason, as on the wire).
 */
import type { Status } from '../k8s/status.js';
import { invalid, invalidField, type FieldCause } from './api-errors.js';
import type { Identity } from './authn.js';
import type { SimulatorAuthorizer } from './authorizer.js';

type Obj = Record<string, unknown>;

function validate(spec: Obj, self: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  if (spec['resourceAttributes'] === undefined && spec['nonResourceAttributes'] === undefined) {
    causes.push(invalidField('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  const groups = spec['groups'];
  if (!self && !spec['user'] && !(Array.isArray(groups) && groups.length > 0)) {
    causes.push(invalidField('spec.user', '', 'at least one of user or group must be specified'));
  }
  return causes;
}

/** The status of an access review of `spec`, or the 422 for an invalid one. */
export function reviewAccess(authorizer: SimulatorAuthorizer, resource: string, spec: Obj, caller: Identity): { spec: Obj; status: Obj } | Status {
  const self = resource === 'selfsubjectaccessreviews';
  const causes = validate(spec, self);
  if (causes.length > 0) {
    const status = invalid('', 'authorization.k8s.io', '', causes);
    delete status.details?.kind;
    return status;
  }
  const asked = self ? { ...spec, user: caller.user, groups: caller.groups } : spec;
  return { spec, status: authorizer.review(asked) };
}
