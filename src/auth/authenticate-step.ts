/**
 * Pipeline step 1, authenticate: who is calling (authenticate-request.ts), what it may ask to act as
 * (impersonate mode: its own Impersonate-* checked by SubjectAccessReview; requestHeader and passthrough
 * leave it to the apiserver; insecure mode stripped them in step 0), and the headers that carry the
 * resulting identity upstream (forward-identity.ts). Adds `user` and `upstreamIdentity`
 * to the context, or throws a GatewayError the pipeline answers as a Status:
 * 401 (no or refused credentials), 403 (impersonation denied), 400, 429 with a Retry-After when the
 * token's TokenReview would pass the bounds on reviews (src/auth/review-limiter.ts), or 503 when
 * TokenReview or SubjectAccessReview cannot be made (fail closed). The log line says why, never with a secret.
 */
import type { IdentityMode } from '../config/complete-auth.js';
import { GatewayError } from '../errors.js';
import type { RawHeaders } from '../gateway/raw-headers.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { AuthMetrics } from './auth-metrics.js';
import type { AuthFailureReason, RequestAuthenticator } from './authenticate-request.js';
import { forwardingHeaders, type RequestHeaderNames } from './forward-identity.js';
import { UnsendableHeaderValueError } from './header-text.js';
import { describeCheck, readImpersonationRequest } from './impersonation-request.js';
import { ReviewUnavailableError, type ImpersonationAuthorizer } from './subject-access-review.js';
import { describeUser, type AuthMethod, type UserInfo } from './user-info.js';

export interface UpstreamIdentity {
  /** Header lines carrying the identity upstream: X-Remote-*, Impersonate-*, or the caller's Authorization. */
  readonly headers: RawHeaders;
  readonly method: AuthMethod;
  /** impersonate mode: whom the caller asked to act as (kubectl --as) and the gateway allowed. */
  readonly actingAs?: UserInfo;
}

export type AuthenticateStep = <C extends RequestContext>(ctx: C) => Promise<C & { readonly user: UserInfo; readonly upstreamIdentity: UpstreamIdentity }>;

export interface AuthenticateStepDeps {
  authenticator: RequestAuthenticator;
  mode: IdentityMode;
  names: RequestHeaderNames;
  /** Required in impersonate mode. */
  impersonation: ImpersonationAuthorizer | undefined;
  metrics: AuthMetrics;
  /** The upstream server, for messages. */
  server: string;
  /** What the gateway accepts, for the "no credentials" message. */
  accepts: { certificates: boolean; tokens: boolean };
}

const CERTIFICATE_WHY: Partial<Record<AuthFailureReason, string>> = {
  expired: 'the client certificate has expired; renew it',
  not_yet_valid: 'the client certificate is not valid yet; check its notBefore date and the clocks',
  unknown_authority: 'the client certificate is not signed by a CA this gateway trusts (authentication.clientCAFiles)',
  bad_signature: 'the client certificate signature does not verify against the CA it names',
  wrong_usage: 'the client certificate is not meant for client authentication (extended key usage clientAuth)',
  token_malformed: 'the bearer token cannot be valid (not an RFC 6750 token, or longer than 16 KiB)',
  token_denied: 'the bearer token was not accepted (expired, revoked or unknown); get a new token',
  token_audience: 'the bearer token is not valid for this gateway (audience); get a token for authentication.tokenReview.audiences',
};

function noCredentialsWhy(accepts: AuthenticateStepDeps['accepts']): string {
  const ways = [accepts.certificates ? 'a client certificate signed by a trusted client CA' : '', accepts.tokens ? 'a bearer token' : ''].filter(Boolean);
  return ways.length === 0 ? 'no credentials, and this gateway accepts none' : `no credentials: present ${ways.join(' or ')}`;
}

export function createAuthenticateStep(deps: AuthenticateStepDeps): AuthenticateStep {
  const authenticate: AuthenticateStep = async (ctx) => {
    const result = await deps.authenticator.authenticate(ctx.exchange.req);
    if (!result.ok) {
      const unavailable = result.reason === 'tokenreview_unavailable';
      const throttled = result.reason === 'tokenreview_throttled';
      deps.metrics.observeAuthentication(result.method, unavailable || throttled ? 'error' : 'failure');
      ctx.log.warn({ method: result.method, reason: result.reason, detail: result.detail }, 'authentication failed');
      if (unavailable) throw new GatewayError('authentication_unavailable', { detail: result.detail, server: deps.server });
      if (throttled) {
        const retryAfterSeconds = result.retryAfterSeconds ?? 1;
        deps.metrics.observeTokenThrottled(result.scope ?? 'total');
        throw new GatewayError('tokenreview_throttled', { detail: result.detail, retryAfter: retryAfterSeconds }, { details: { retryAfterSeconds } });
      }
      throw new GatewayError('unauthorized', { why: CERTIFICATE_WHY[result.reason] ?? noCredentialsWhy(deps.accepts) });
    }
    deps.metrics.observeAuthentication(result.method, 'success');
    const { user } = result;
    ctx.log.debug({ method: result.method, ...describeUser(user) }, 'authenticated');

    let actingAs: UserInfo | undefined;
    if (deps.mode === 'impersonate') {
      const asked = readImpersonationRequest(ctx.exchange.req.rawHeaders);
      if (asked.kind === 'invalid') throw new GatewayError('impersonation_invalid');
      if (asked.kind === 'impersonate') {
        let decision;
        try {
          decision = await deps.impersonation!.authorize(user, asked.checks);
        } catch (err) {
          if (!(err instanceof ReviewUnavailableError)) throw err;
          ctx.log.warn({ reason: 'subjectaccessreview_unavailable', detail: err.message }, 'impersonation check failed');
          throw new GatewayError('impersonation_unavailable', { detail: err.message, server: deps.server });
        }
        if (!decision.allowed) {
          const { denied } = decision;
          ctx.log.warn({ ...describeUser(user), denied: describeCheck(denied), reason: decision.reason || undefined }, 'impersonation refused');
          throw new GatewayError('impersonation_forbidden', {
            target: describeCheck(denied),
            user: JSON.stringify(user.username),
            resource: JSON.stringify(denied.subresource ? `${denied.resource}/${denied.subresource}` : denied.resource),
            group: JSON.stringify(denied.group),
            scope: denied.namespace ? `in the namespace ${JSON.stringify(denied.namespace)}` : 'at the cluster scope',
          });
        }
        actingAs = asked.target;
        ctx.log.debug({ actingAs: describeUser(actingAs) }, 'impersonation allowed');
      }
    }

    let headers: string[];
    try {
      headers = forwardingHeaders({ mode: deps.mode, user: actingAs ?? user, token: result.token, names: deps.names });
    } catch (err) {
      if (err instanceof UnsendableHeaderValueError) throw new GatewayError('identity_unsendable', {}, { cause: err });
      throw err;
    }
    return { ...ctx, user, upstreamIdentity: { headers, method: result.method, ...(actingAs ? { actingAs } : {}) } };
  };
  return authenticate;
}
