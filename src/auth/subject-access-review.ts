/**
 * Impersonation checks, as the apiserver's impersonation filter asks its authorizer: may this requester
 * `impersonate` each user, service account, group, uid and extra value it asked for? Each check is one
 * SubjectAccessReview (access-review.ts: the gateway's own credentials, cached); every check must be
 * allowed, the first denial is reported. A review that cannot be made throws ReviewUnavailableError,
 * and the caller fails closed.
 */
import type { AccessReviewer } from './access-review.js';
import type { ImpersonationCheck } from './impersonation-request.js';
import type { UserInfo } from './user-info.js';

export { ReviewUnavailableError } from './access-review.js';

export type ImpersonationDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly denied: ImpersonationCheck; readonly reason: string };

export interface ImpersonationAuthorizer {
  authorize(requester: UserInfo, checks: readonly ImpersonationCheck[]): Promise<ImpersonationDecision>;
}

export function createImpersonationAuthorizer(deps: { reviewer: AccessReviewer }): ImpersonationAuthorizer {
  return {
    async authorize(requester, checks) {
      const results = await Promise.all(
        checks.map((check) =>
          deps.reviewer.review(requester, {
            verb: 'impersonate',
            group: check.group,
            resource: check.resource,
            name: check.name,
            ...(check.subresource ? { subresource: check.subresource } : {}),
            ...(check.namespace ? { namespace: check.namespace } : {}),
          }),
        ),
      );
      const i = results.findIndex((r) => !r.allowed);
      if (i === -1) return { allowed: true };
      return { allowed: false, denied: checks[i]!, reason: results[i]!.reason };
    },
  };
}
