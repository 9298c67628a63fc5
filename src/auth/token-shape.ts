/**
 * What can be read from a bearer token without asking anyone:
 * - whether it can be a token at all: RFC 6750 §2.1 b64token characters (letters, digits, `-._~+/`,
 *   then `=` padding), at most MAX_TOKEN_BYTES. Service-account, bootstrap and OIDC tokens all are;
 *   anything else is refused without a TokenReview;
 * - a JWT's `exp` (service-account and OIDC tokens are JWTs): read without verifying the signature,
 *   which is safe only for a token a TokenReview has just accepted (it verified the signature), and used
 *   only to forget that acceptance no later than the token itself expires. Pure.
 */

/** Larger than any service-account or OIDC token in practice (kube-apiserver's own header limit is 1 MiB). */
export const MAX_TOKEN_BYTES = 16 * 1024;

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function isPlausibleBearerToken(token: string): boolean {
  return token.length > 0 && token.length <= MAX_TOKEN_BYTES && B64TOKEN.test(token);
}

/** The `exp` claim of a JWT, in milliseconds since the epoch; undefined for anything else. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === '') return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
