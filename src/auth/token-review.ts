/**
 * Bearer-token authentication by TokenReview against the apiserver (authentication.k8s.io/v1), with the
 * audience rules of k8s.io/apiserver/plugin/pkg/authenticator/token/webhook:
 * - no audiences configured: spec.audiences is left empty (the apiserver's own) and not checked;
 * - audiences configured: they go in spec.audiences, and the token is accepted only if status.audiences
 *   (or, when the apiserver returns none, the configured audiences) intersect them.
 * A review that cannot be made (apiserver down, timeout, an error status) throws
 * TokenReviewUnavailableError: the caller fails closed. The token is sent in the request body only and
 * never appears in an error message.
 */
import type { AuthenticationV1Api, KubeConfig, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { lazyApiClient, type ClientNode } from './client-node.js';
import { withAuthenticatedGroup, type UserInfo } from './user-info.js';

export type TokenReviewResult =
  | { readonly authenticated: true; readonly user: UserInfo }
  | { readonly authenticated: false; readonly reason: 'denied' | 'audience'; readonly error?: string };

export interface TokenReviewer {
  review(token: string): Promise<TokenReviewResult>;
}

/** The review could not be made; the message is safe to log (no token, no response body). */
export class TokenReviewUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenReviewUnavailableError';
  }
}

/** client-node middleware that puts an abort signal on the request (a per-call timeout). */
export function timeoutOptions(k8s: Pick<ClientNode, 'Observable'>, timeoutMs: number) {
  const { Observable } = k8s;
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

/** A one-line reason for a failed apiserver call, without bodies or headers. */
export function describeCallFailure(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return `HTTP ${err.code}`;
  if (err instanceof Error) {
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timed out';
    const errno = (err as NodeJS.ErrnoException).code ?? /reason: (.*)$/.exec(err.message)?.[1];
    return errno ?? err.name;
  }
  return 'unknown error';
}

function toUserInfo(user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }): UserInfo {
  const extra: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(user.extra ?? {})) extra[key.toLowerCase()] = [...values];
  return withAuthenticatedGroup({ username: user.username ?? '', groups: [...(user.groups ?? [])], extra, ...(user.uid ? { uid: user.uid } : {}) });
}

export function createTokenReviewer(deps: { kubeConfig: () => Promise<KubeConfig>; audiences: readonly string[]; timeoutMs: number }): TokenReviewer {
  const client = lazyApiClient<AuthenticationV1Api>(deps.kubeConfig, (k8s) => k8s.AuthenticationV1Api);
  const wanted = [...deps.audiences];
  return {
    async review(token) {
      let status;
      try {
        const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(wanted.length > 0 ? { audiences: wanted } : {}) } };
        const { api, k8s } = await client();
        status = (await api.createTokenReview({ body }, timeoutOptions(k8s, deps.timeoutMs))).status;
      } catch (err) {
        // No `cause`: an ApiException's message carries the response body, and a TokenReview echoes its spec.
        throw new TokenReviewUnavailableError(`TokenReview failed: ${describeCallFailure(err)}`);
      }
      if (!status) throw new TokenReviewUnavailableError('TokenReview returned no status');
      if (wanted.length > 0) {
        const got = status.audiences && status.audiences.length > 0 ? status.audiences : wanted;
        if (!wanted.some((a) => got.includes(a))) return { authenticated: false, reason: 'audience' };
      }
      if (!status.authenticated || !status.user?.username) {
        return { authenticated: false, reason: 'denied', ...(status.error ? { error: status.error } : {}) };
      }
      return { authenticated: true, user: toUserInfo(status.user) };
    },
  };
}
