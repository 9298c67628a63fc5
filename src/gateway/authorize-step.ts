/**
 * Step 3b, authorize: between estimate and admit. A request that would weigh on the budget (take a
 * lease, wait in a queue or be answered 429) is first checked with a SubjectAccessReview as the
 * identity the apiserver will authorize — the caller, or whom it impersonates — with the attributes
 * RequestInfo gives it (verb, group, version, resource, subresource, namespace, name; or the path of a
 * non-resource request). So a request the apiserver would refuse never queues, never takes budget, and
 * no 429 tells its caller counts it may not see:
 * - refused: the apiserver's own 403 Status (responsewriters.Forbidden and apierrors.NewForbidden:
 *   the same message, reason and details), nothing proxied, no lease;
 * - the review cannot be made: 503, never through (fail closed);
 * - small requests, watches and everything admission lets pass at once are not checked here: the
 *   apiserver authorizes them itself.
 * Adds `authorization` (undefined when not checked). A caller's own Impersonate-* (passed on in
 * requestHeader and passthrough modes) is checked first, as the apiserver's impersonation filter would.
 */
import type { AccessAttributes, AccessReviewer } from '../auth/access-review.js';
import { ReviewUnavailableError } from '../auth/access-review.js';
import { describeCheck, readImpersonationRequest } from '../auth/impersonation-request.js';
import type { ImpersonationAuthorizer } from '../auth/subject-access-review.js';
import type { UserInfo } from '../auth/user-info.js';
import type { IdentityMode } from '../config/parse-config.js';
import type { Estimate } from '../estimate/estimate-types.js';
import { GatewayError } from '../errors.js';
import { qualifiedResource } from '../k8s/status.js';
import type { Classification } from './classify-request.js';
import type { EstimatedContext, Exchange } from './request-context.js';

export interface AuthorizationNote {
  /** The user the SubjectAccessReview asked about. */
  readonly user: string;
  readonly allowed: true;
  readonly cached: boolean;
}

export type AuthorizedContext<E extends Exchange = Exchange> = EstimatedContext<E> & { readonly authorization: AuthorizationNote | undefined };

export type AuthorizeStep = <E extends Exchange>(ctx: EstimatedContext<E>) => Promise<AuthorizedContext<E>>;

/** Without authorization: nothing is checked. */
export const authorizeNothing: AuthorizeStep = (ctx) => Promise.resolve({ ...ctx, authorization: undefined });

/** The authorizer attributes of a classified request (endpoints/filters/authorization.go GetAuthorizerAttributes). */
export function accessAttributesOf(c: Classification): AccessAttributes {
  const { info } = c;
  if (!info.isResourceRequest) return { verb: info.verb, path: info.path };
  return {
    verb: info.verb,
    group: info.apiGroup,
    version: info.apiVersion,
    resource: info.resource,
    ...(info.subresource ? { subresource: info.subresource } : {}),
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(info.name ? { name: info.name } : {}),
  };
}

/** The parameters of the catalogue's `forbidden` message: responsewriters.forbiddenMessage and apierrors.NewForbidden. */
export function forbiddenParams(user: string, a: AccessAttributes, reason: string): Record<string, string> {
  const q = (s: string) => JSON.stringify(s);
  const why = reason ? `: ${reason}` : '';
  if ('path' in a) return { subject: 'forbidden', user: q(user), verb: a.verb, object: `path ${q(a.path)}`, reason: why };
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${q(a.namespace)}` : 'at the cluster scope';
  const qualified = qualifiedResource(a.resource, a.group);
  return {
    subject: `${a.name ? `${qualified} ${q(a.name)}` : qualified} is forbidden`,
    user: q(user),
    verb: a.verb,
    object: `resource ${q(resource)} in API group ${q(a.group)} ${scope}`,
    reason: why,
  };
}

export function createAuthorizeStep(deps: {
  reviewer: AccessReviewer;
  /** Decides a caller's own Impersonate-* (requestHeader and passthrough modes pass them on). */
  impersonation: ImpersonationAuthorizer;
  mode: IdentityMode;
  /** Whether admission would weigh a request of this estimate (lease, queue or 429). */
  weighs: (estimate: Estimate) => boolean;
  /** The upstream server, for messages. */
  server: string;
}): AuthorizeStep {
  const passesImpersonation = deps.mode === 'requestHeader' || deps.mode === 'passthrough';

  const unavailable = (err: unknown): never => {
    if (err instanceof ReviewUnavailableError) throw new GatewayError('authorization_unavailable', { detail: err.message, server: deps.server });
    throw err;
  };

  /** Whom the apiserver will authorize: whom the gateway impersonates, else whom the caller asked to be (once allowed), else the caller. */
  const effectiveUser = async (ctx: EstimatedContext): Promise<UserInfo> => {
    if (ctx.upstreamIdentity.actingAs) return ctx.upstreamIdentity.actingAs;
    if (!passesImpersonation) return ctx.user;
    const asked = readImpersonationRequest(ctx.headers);
    if (asked.kind === 'none') return ctx.user;
    if (asked.kind === 'invalid') throw new GatewayError('impersonation_invalid');
    const decision = await deps.impersonation.authorize(ctx.user, asked.checks).catch(unavailable);
    if (!decision.allowed) {
      const { denied } = decision;
      throw new GatewayError('impersonation_forbidden', {
        target: describeCheck(denied),
        user: JSON.stringify(ctx.user.username),
        resource: JSON.stringify(denied.subresource ? `${denied.resource}/${denied.subresource}` : denied.resource),
        group: JSON.stringify(denied.group),
        scope: denied.namespace ? `in the namespace ${JSON.stringify(denied.namespace)}` : 'at the cluster scope',
      });
    }
    return asked.target;
  };

  return async (ctx) => {
    if (!deps.weighs(ctx.estimate)) return { ...ctx, authorization: undefined };
    const user = await effectiveUser(ctx);
    const attributes = accessAttributesOf(ctx.classification);
    const decision = await deps.reviewer.review(user, attributes).catch(unavailable);
    if (!decision.allowed) {
      ctx.log.info({ user: user.username, attributes, reason: decision.reason || undefined, cached: decision.cached }, 'the apiserver would refuse the request: answered 403 before admission');
      const details = 'path' in attributes ? {} : { kind: attributes.resource, ...(attributes.name ? { name: attributes.name } : {}), ...(attributes.group ? { group: attributes.group } : {}) };
      throw new GatewayError('forbidden', forbiddenParams(user.username, attributes, decision.reason), { details });
    }
    return { ...ctx, authorization: { user: user.username, allowed: true, cached: decision.cached } };
  };
}
