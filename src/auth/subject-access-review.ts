/**
 * Impersonation checks by SubjectAccessReview (authorization.k8s.io/v1), made with the gateway's own
 * credentials, as the apiserver's impersonation filter asks its authorizer: may this requester
 * `impersonate` each user, service account, group, uid and extra value it asked for? Every check must be
 * allowed; the first denial is reported. A review that cannot be made throws ReviewUnavailableError,
 * and the caller fails closed.
 */
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ImpersonationCheck } from './impersonation-request.js';
import { describeCallFailure, timeoutOptions } from './token-review.js';
import type { UserInfo } from './user-info.js';

export type ImpersonationDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly denied: ImpersonationCheck; readonly reason: string };

export interface ImpersonationAuthorizer {
  authorize(requester: UserInfo, checks: readonly ImpersonationCheck[]): Promise<ImpersonationDecision>;
}

export class ReviewUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewUnavailableError';
  }
}

export function createImpersonationAuthorizer(deps: { kubeConfig: KubeConfig; timeoutMs: number }): ImpersonationAuthorizer {
  const api = deps.kubeConfig.makeApiClient(AuthorizationV1Api);

  const review = async (requester: UserInfo, check: ImpersonationCheck): Promise<{ allowed: boolean; reason: string }> => {
    const extra: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(requester.extra)) extra[key] = [...values];
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: requester.username,
        groups: [...requester.groups],
        extra,
        ...(requester.uid ? { uid: requester.uid } : {}),
        resourceAttributes: {
          verb: 'impersonate',
          group: check.group,
          resource: check.resource,
          name: check.name,
          ...(check.subresource ? { subresource: check.subresource } : {}),
          ...(check.namespace ? { namespace: check.namespace } : {}),
        },
      },
    };
    try {
      const status = (await api.createSubjectAccessReview({ body }, timeoutOptions(deps.timeoutMs))).status;
      return { allowed: status?.allowed === true && status.denied !== true, reason: status?.reason ?? '' };
    } catch (err) {
      throw new ReviewUnavailableError(`SubjectAccessReview failed: ${describeCallFailure(err)}`);
    }
  };

  return {
    async authorize(requester, checks) {
      const results = await Promise.all(checks.map((check) => review(requester, check)));
      const i = results.findIndex((r) => !r.allowed);
      if (i === -1) return { allowed: true };
      return { allowed: false, denied: checks[i]!, reason: results[i]!.reason };
    },
  };
}
