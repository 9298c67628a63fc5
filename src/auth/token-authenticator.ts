/**
 * Bearer tokens: the TokenReview result for a token, from the cache when it holds one (positive and
 * negative TTLs, hashed keys) or from a review shared by concurrent callers. A review that cannot be
 * made throws TokenReviewUnavailableError and is not cached.
 */
import type { TokenReviewConfig } from '../config/complete-auth.js';
import type { AuthMetrics } from './auth-metrics.js';
import { createTokenCache, type TokenCache } from './token-cache.js';
import type { TokenReviewer, TokenReviewResult } from './token-review.js';

export interface TokenAuthenticator {
  authenticate(token: string): Promise<TokenReviewResult>;
  readonly cache: TokenCache<TokenReviewResult>;
}

export function createTokenAuthenticator(deps: {
  reviewer: TokenReviewer;
  config: TokenReviewConfig;
  metrics: AuthMetrics;
  now?: () => number;
}): TokenAuthenticator {
  const { config } = deps;
  const cache = createTokenCache<TokenReviewResult>({
    positiveTtlMs: config.cacheTtlMs,
    negativeTtlMs: config.negativeCacheTtlMs,
    maxEntries: config.cacheSize,
    isPositive: (r) => r.authenticated,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return {
    cache,
    async authenticate(token) {
      let reviewed = false;
      try {
        const found = await cache.getOrLookup(token, config.audiences, () => {
          reviewed = true;
          return deps.reviewer.review(token);
        });
        return found.value;
      } finally {
        deps.metrics.observeTokenCache(reviewed ? 'miss' : 'hit');
      }
    },
  };
}
