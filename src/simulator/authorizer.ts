/**
 * The simulator's authorizer. Without access rules it is just enough for impersonation: `impersonate`
 * (users, groups, service accounts, uids, userextras) is allowed to system:masters and to the configured
 * impersonators (user names, like a ClusterRoleBinding to an impersonator role); every other verb is
 * allowed to every authenticated user. With access rules (access-rules.ts) every request is authorized by
 * them as RBAC would, impersonation included. The same rules answer SubjectAccessReviews, so a gateway
 * that asks before it acts gets the answer the apiserver would act on.
 */
import type { RequestInfo } from '../k8s/request-info.js';
import { failureStatus, type Status } from '../k8s/status.js';
import { accessForbidden, requestAttributes, type AccessAttributes, type AccessRules } from './access-rules.js';
import type { Identity } from './authn.js';

export interface SimulatorAuthorizer {
  mayImpersonate(who: { user: string; groups: readonly string[] }): boolean;
  /** status of a SubjectAccessReview for its spec: `reason` is omitted when empty, as on the wire. */
  review(spec: Record<string, unknown>): { allowed: boolean; reason?: string };
  /** The 403 for a request the access rules refuse; undefined when it is allowed. */
  check(who: Identity, info: RequestInfo, path: string): Status | undefined;
}

const MASTERS = 'system:masters';

function reviewAttributes(spec: Record<string, unknown>): AccessAttributes {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const user = str(spec['user']) ?? '';
  const groups = Array.isArray(spec['groups']) ? spec['groups'].filter((g): g is string => typeof g === 'string') : [];
  const nonResource = spec['nonResourceAttributes'] as Record<string, unknown> | undefined;
  if (nonResource) return { user, groups, verb: str(nonResource['verb']) ?? '', path: str(nonResource['path']) ?? '' };
  const r = (spec['resourceAttributes'] ?? {}) as Record<string, unknown>;
  const optional = { subresource: str(r['subresource']), namespace: str(r['namespace']), name: str(r['name']) };
  return {
    user,
    groups,
    verb: str(r['verb']) ?? '',
    apiGroup: str(r['group']) ?? '',
    resource: str(r['resource']) ?? '',
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

export function createSimulatorAuthorizer(opts: { impersonators?: readonly string[]; rules?: AccessRules } = {}): SimulatorAuthorizer {
  const impersonators = new Set(opts.impersonators ?? []);
  const rules = opts.rules;
  const mayImpersonate = (who: { user: string; groups: readonly string[] }): boolean =>
    who.groups.includes(MASTERS) || impersonators.has(who.user) || (rules?.allows({ ...who, verb: 'impersonate', apiGroup: '', resource: 'users' }) ?? false);
  return {
    mayImpersonate,
    review(spec) {
      const attrs = reviewAttributes(spec);
      if (rules) return rules.allows(attrs) || (attrs.verb === 'impersonate' && mayImpersonate(attrs)) ? { allowed: true } : { allowed: false };
      if (attrs.verb !== 'impersonate') return { allowed: true, reason: 'the simulator authorizes every authenticated request' };
      return mayImpersonate(attrs) ? { allowed: true, reason: 'system:masters and the configured impersonators may impersonate' } : { allowed: false };
    },
    check(who, info, path) {
      if (!rules) return undefined;
      const attrs = requestAttributes(who, info, path);
      return rules.allows(attrs) ? undefined : accessForbidden(attrs);
    },
  };
}

/** responsewriters.Forbidden for the first thing a refused impersonation asked for (the user). */
export function impersonationForbidden(requester: Identity, target: string): Status {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(target);
  const resource = sa ? 'serviceaccounts' : 'users';
  const name = sa ? sa[2]! : target;
  const scope = sa ? `in the namespace ${JSON.stringify(sa[1])}` : 'at the cluster scope';
  const message = `${resource} ${JSON.stringify(name)} is forbidden: User ${JSON.stringify(requester.user)} cannot impersonate resource ${JSON.stringify(resource)} in API group "" ${scope}`;
  return failureStatus(403, 'Forbidden', message, { name, kind: resource });
}
