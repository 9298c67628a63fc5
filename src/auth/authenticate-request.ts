/**
 * Who is calling, as kube-apiserver's union authenticator decides it for the methods the gateway serves:
 * 1. x509: a client certificate verified against the client CAs (CN user, O groups);
 * 2. bearer token: `Authorization: Bearer <token>` checked by TokenReview (cached);
 * 3. anonymous, only when enabled and only when no credentials were presented at all: credentials that
 *    fail make the request fail, as union.NewFailOnError(…, anonymous) does.
 * A refused certificate does not end the search (a valid token still authenticates, as in the union);
 * a certificate without a CN names no one and is passed over. A TokenReview that cannot be made fails
 * closed: the request gets `unavailable`, never anonymous or through. A token that cannot be valid
 * (token-shape.ts: not an RFC 6750 token, or too long) is refused without a TokenReview; one whose
 * review would pass the limiter's bounds gets `tokenreview_throttled` (429 with a Retry-After).
 */
import type { IncomingMessage } from 'node:http';
import type { X509Certificate } from 'node:crypto';
import { headerValues } from '../gateway/raw-headers.js';
import { peerCertificates } from './peer-certificates.js';
import type { TokenAuthenticator } from './token-authenticator.js';
import { ReviewThrottledError } from './review-limiter.js';
import { TokenReviewUnavailableError } from './token-review.js';
import { isPlausibleBearerToken, MAX_TOKEN_BYTES } from './token-shape.js';
import { anonymousUser, type AuthMethod, type UserInfo } from './user-info.js';
import { verifyClientCertificate, type CertificateRefusal } from './verify-client-cert.js';

/** Why a request was not authenticated; a log field and a metric outcome. Never a secret. */
export type AuthFailureReason =
  | 'no_credentials'
  | Exclude<CertificateRefusal, 'no_common_name'>
  | 'token_malformed'
  | 'token_denied'
  | 'token_audience'
  | 'tokenreview_unavailable'
  | 'tokenreview_throttled';

export type AuthenticationResult =
  | { readonly ok: true; readonly user: UserInfo; readonly method: AuthMethod; readonly token?: string }
  | {
      readonly ok: false;
      readonly method: 'x509' | 'token' | 'none';
      readonly reason: AuthFailureReason;
      readonly detail: string;
      /** tokenreview_throttled: when to come back. */
      readonly retryAfterSeconds?: number;
      readonly scope?: 'client' | 'total';
    };

export interface RequestAuthenticator {
  authenticate(req: IncomingMessage): Promise<AuthenticationResult>;
}

export interface RequestAuthenticatorDeps {
  clientCAs: readonly X509Certificate[];
  /** Undefined: TokenReview disabled, bearer tokens are not looked at. */
  tokens: TokenAuthenticator | undefined;
  anonymous: boolean;
  now?: () => Date;
}

/** The token of the first Authorization header, if it is `Bearer <token>` (bearertoken.go rules). */
export function bearerTokenOf(rawHeaders: readonly string[]): string | undefined {
  const auth = headerValues(rawHeaders, 'authorization')[0]?.trim();
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1]!;
  return token === '' ? undefined : token;
}

/** A reviewer's error text, bounded, with the token masked should a reviewer ever echo it. */
function scrub(text: string, token: string): string {
  return text.split(token).join('[token]').slice(0, 200);
}

/** How long a connection's verified certificate is trusted before it is checked again (expiry aside). */
const REVERIFY_MS = 5 * 60 * 1000;

export function createRequestAuthenticator(deps: RequestAuthenticatorDeps): RequestAuthenticator {
  const now = deps.now ?? (() => new Date());
  // A connection's certificate cannot change (the gateway's TLS server refuses renegotiation), so a
  // keep-alive connection is verified once, then again only when a certificate of its chain expires or
  // REVERIFY_MS passes. The map belongs to this authenticator: new client CAs (a reload) build a new one.
  const verified = new WeakMap<object, { user: UserInfo; until: number }>();
  return {
    async authenticate(req) {
      let refused: AuthenticationResult | undefined;
      if (deps.clientCAs.length > 0) {
        const at = now();
        const known = verified.get(req.socket);
        if (known && at.getTime() < known.until) return { ok: true, user: known.user, method: 'x509' };
        const chain = peerCertificates(req.socket);
        if (chain.length > 0) {
          const cert = verifyClientCertificate({ chain, roots: deps.clientCAs, now: at });
          if (cert.ok) {
            const expiry = Math.min(...chain.map((c) => Date.parse(c.validTo)));
            verified.set(req.socket, { user: cert.user, until: Math.min(expiry, at.getTime() + REVERIFY_MS) });
            return { ok: true, user: cert.user, method: 'x509' };
          }
          if (cert.reason !== 'no_common_name') refused = { ok: false, method: 'x509', reason: cert.reason, detail: cert.detail };
        }
      }

      const token = deps.tokens ? bearerTokenOf(req.rawHeaders) : undefined;
      if (token !== undefined && deps.tokens && !isPlausibleBearerToken(token)) {
        refused = { ok: false, method: 'token', reason: 'token_malformed', detail: `the bearer token is not an RFC 6750 token of at most ${MAX_TOKEN_BYTES} bytes (no TokenReview made)` };
      } else if (token !== undefined && deps.tokens) {
        try {
          const review = await deps.tokens.authenticate(token, req.socket.remoteAddress ?? '');
          if (review.authenticated) return { ok: true, user: review.user, method: 'token', token };
          refused = review.reason === 'audience'
            ? { ok: false, method: 'token', reason: 'token_audience', detail: 'TokenReview: the token is not valid for the configured audiences' }
            : { ok: false, method: 'token', reason: 'token_denied', detail: `TokenReview denied the token${review.error ? ` (${scrub(review.error, token)})` : ''}` };
        } catch (err) {
          if (err instanceof ReviewThrottledError) {
            return { ok: false, method: 'token', reason: 'tokenreview_throttled', detail: err.message, retryAfterSeconds: err.retryAfterSeconds, scope: err.scope };
          }
          if (!(err instanceof TokenReviewUnavailableError)) throw err;
          return { ok: false, method: 'token', reason: 'tokenreview_unavailable', detail: err.message };
        }
      }

      if (refused) return refused;
      if (deps.anonymous) return { ok: true, user: anonymousUser(), method: 'anonymous' };
      return { ok: false, method: 'none', reason: 'no_credentials', detail: 'the request carries no client certificate and no bearer token' };
    },
  };
}
