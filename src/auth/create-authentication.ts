/**
 * Builds authentication and identity forwarding from a Config: the authenticate step of the pipeline,
 * the identity-header rule of its first step, what the TLS server asks of clients, and which credentials
 * the proxy presents upstream for forwarded requests:
 * - insecure, impersonate: the gateway's own (upstream.clientCertFile/keyFile or tokenFile);
 * - requestHeader: the front-proxy client certificate (identity.requestHeader), and no token;
 * - passthrough: none of its own (the caller's bearer token goes instead).
 * TokenReview and SubjectAccessReview always use the gateway's own credentials, through client-node;
 * the SubjectAccessReview cache (`reviewer`) serves the impersonation checks and the authorize step.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/parse-config.js';
import { readAuthFiles } from '../config/read-auth-files.js';
import type { TlsFiles } from '../config/read-tls-files.js';
import { createAuthMetrics } from './auth-metrics.js';
import { createRequestAuthenticator } from './authenticate-request.js';
import { createAuthenticateStep, type AuthenticateStep } from './authenticate-step.js';
import { createGatewayKubeConfig } from './gateway-kubeconfig.js';
import { identityHeaderPredicate, type HeaderPredicate } from './identity-header-policy.js';
import { createAccessReviewer, subjectAccessReviewCall, type AccessReviewer } from './access-review.js';
import type { ReviewLimiter } from './review-limiter.js';
import { createImpersonationAuthorizer, type ImpersonationAuthorizer } from './subject-access-review.js';
import { createTokenAuthenticator, type TokenAuthenticator } from './token-authenticator.js';
import { createTokenReviewer } from './token-review.js';

export interface Authentication {
  authenticate: AuthenticateStep;
  isIdentityHeader: HeaderPredicate;
  /** PEM client CAs for the TLS server (`ca`, with requestCert); empty: no certificate is asked for. */
  clientCAPems: readonly string[];
  /** The credentials forwarded requests present upstream. */
  forwardingFiles: TlsFiles['upstream'];
  /** The bearer-token authenticator (and its cache), when TokenReview is enabled. */
  tokens: TokenAuthenticator | undefined;
  /** SubjectAccessReviews with the gateway's own credentials, cached (authorization.*). */
  reviewer: AccessReviewer;
  /** Decides a caller's own Impersonate-* with `reviewer`. */
  impersonation: ImpersonationAuthorizer;
}

export function createAuthentication(deps: {
  config: Config;
  files: TlsFiles;
  registry: Registry;
  /** Bounds on TokenReviews; long-lived, it outlives the authentication a reload rebuilds. */
  reviewLimiter?: ReviewLimiter;
  now?: () => number;
}): Authentication {
  const { config, files } = deps;
  const { authentication, identity } = config;
  const authFiles = readAuthFiles(config);
  const metrics = createAuthMetrics(deps.registry);
  const kubeConfig = createGatewayKubeConfig({ upstream: config.upstream, files: files.upstream });
  const timeoutMs = authentication.tokenReview.timeoutMs;

  const tokens = authentication.tokenReview.enabled
    ? createTokenAuthenticator({
        reviewer: createTokenReviewer({ kubeConfig, audiences: authentication.tokenReview.audiences, timeoutMs }),
        config: authentication.tokenReview,
        metrics,
        ...(deps.reviewLimiter ? { limiter: deps.reviewLimiter } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      })
    : undefined;
  const { authorization } = config;
  const reviewer = createAccessReviewer({
    call: subjectAccessReviewCall({ kubeConfig, timeoutMs: authorization.timeoutMs }),
    ttlMs: authorization.cacheTtlMs,
    maxEntries: authorization.cacheSize,
    observe: (result, cache) => metrics.observeAccessReview(result, cache),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const impersonation = createImpersonationAuthorizer({ reviewer });
  const authenticator = createRequestAuthenticator({ clientCAs: authFiles.clientCAs, tokens, anonymous: authentication.anonymous.enabled });
  const authenticate = createAuthenticateStep({
    authenticator,
    mode: identity.mode,
    names: identity.requestHeader,
    impersonation: identity.mode === 'impersonate' ? impersonation : undefined,
    metrics,
    server: config.upstream.server,
    accepts: { certificates: authFiles.clientCAs.length > 0, tokens: tokens !== undefined },
  });

  const none = { ca: files.upstream.ca, cert: undefined, key: undefined, token: undefined };
  const forwardingFiles: TlsFiles['upstream'] =
    identity.mode === 'requestHeader' ? { ...none, cert: authFiles.frontProxy?.cert, key: authFiles.frontProxy?.key }
    : identity.mode === 'passthrough' ? none
    : files.upstream;

  return {
    authenticate,
    isIdentityHeader: identityHeaderPredicate({ mode: identity.mode, names: identity.requestHeader }),
    clientCAPems: authFiles.clientCAPems,
    forwardingFiles,
    tokens,
    reviewer,
    impersonation,
  };
}
