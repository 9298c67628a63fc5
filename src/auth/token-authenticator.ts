/**
 * Bearer tokens: the TokenReview result for a token, from the cache when it holds one (positive and
 * negative TTLs, hashed keys, a positive result never past the token's own `exp`, busy tokens
 * revalidated in the background) or from a review shared by concurrent callers. Reviews go through the
 * limiter (per client address and in total): over its bounds ReviewThrottledError is thrown. A review
 * that cannot be made throws TokenReviewUnavailableError and is not cached.
 */
import type { TokenReviewConfig } from '../config/complete-auth.js';
import type { AuthMetrics } from './auth-metrics.js';
import { ReviewThrottledError, type ReviewLimiter } from './review-limiter.js';
import { createTokenCache, type TokenCache } from './token-cache.js';
import { jwtExpiry } from './token-shape.js';
import type { TokenReviewer, TokenReviewResult } from './token-review.js';

export interface TokenAuthenticator {
  /** `client`: the caller's address, for the limiter's per-client bounds. */
  authenticate(token: string, client?: string): Promise<TokenReviewResult>;
  readonly cache: TokenCache<TokenReviewResult>;
}

export function createTokenAuthenticator(deps: {
  reviewer: TokenReviewer;
  config: TokenReviewConfig;
  metrics: AuthMetrics;
  /** Bounds the reviews; without it they are not bounded. */
  limiter?: ReviewLimiter;
  now?: () => number;
}): TokenAuthenticator {
  const { config } = deps;
  const cache = createTokenCache<TokenReviewResult>({
    positiveTtlMs: config.cacheTtlMs,
    negativeTtlMs: config.negativeCacheTtlMs,
    maxEntries: config.cacheSize,
    isPositive: (r) => r.authenticated,
    // The review verified the token's signature: its exp can be read as it is.
    expiresAt: (_r, token) => jwtExpiry(token),
    onRefresh: (outcome) => deps.metrics.observeTokenRevalidation(outcome),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const { limiter } = deps;
  return {
    cache,
    async authenticate(token, client = '') {
      // A miss unless the cache answered (a review that failed was a miss too; one the limiter refused
      // was not made, and is counted as throttled instead); a background revalidation started by this
      // request does not make it one.
      let result: 'hit' | 'miss' | undefined = 'miss';
      try {
        const found = await cache.getOrLookup(token, config.audiences, () =>
          limiter ? limiter.run(client, () => deps.reviewer.review(token)) : deps.reviewer.review(token),
        );
        if (found.hit) result = 'hit';
        return found.value;
      } catch (err) {
        if (err instanceof ReviewThrottledError) result = undefined;
        throw err;
      } finally {
        if (result) deps.metrics.observeTokenCache(result);
      }
    },
  };
}
