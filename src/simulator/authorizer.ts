/**
 * The simulator's authorizer, just enough for impersonation: `impersonate` (users, groups, service
 * accounts, uids, userextras) is allowed to system:masters and to the configured impersonators (user
 * names, like a ClusterRoleBinding to an impersonator role); every other verb is allowed to every
 * authenticated user. The same rule answers SubjectAccessReviews, so a gateway that asks before it
 * impersonates gets the answer the apiserver would act on.
 */
import { failureStatus, type Status } from '../k8s/status.js';
import type { Identity } from './authn.js';

export interface SimulatorAuthorizer {
  mayImpersonate(who: { user: string; groups: readonly string[] }): boolean;
  /** status of a SubjectAccessReview for its spec. */
  review(spec: Record<string, unknown>): { allowed: boolean; reason: string };
}

const MASTERS = 'system:masters';

export function createSimulatorAuthorizer(opts: { impersonators?: readonly string[] } = {}): SimulatorAuthorizer {
  const impersonators = new Set(opts.impersonators ?? []);
  const mayImpersonate = (who: { user: string; groups: readonly string[] }): boolean => who.groups.includes(MASTERS) || impersonators.has(who.user);
  return {
    mayImpersonate,
    review(spec) {
      const user = typeof spec['user'] === 'string' ? spec['user'] : '';
      const groups = Array.isArray(spec['groups']) ? spec['groups'].filter((g): g is string => typeof g === 'string') : [];
      const attrs = (spec['resourceAttributes'] ?? {}) as Record<string, unknown>;
      if (attrs['verb'] !== 'impersonate') return { allowed: true, reason: 'the simulator authorizes every authenticated request' };
      return mayImpersonate({ user, groups })
        ? { allowed: true, reason: 'system:masters and the configured impersonators may impersonate' }
        : { allowed: false, reason: '' };
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
