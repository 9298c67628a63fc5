/**
 * The TokenReview cache, after k8s.io/apiserver/pkg/authentication/token/cache: results are kept for a
 * positive TTL (the token authenticated) or a negative TTL (it did not); errors are never cached, so an
 * apiserver that comes back is asked again at once. Keys are an HMAC-SHA256 of the audiences and the
 * token under a random per-process key (upstream's hashed keys): the token itself is never stored, and
 * a key is useless outside this process. The size is bounded; the least recently used entry goes first.
 * Concurrent lookups of the same key share one review (upstream's getOrWait). Time is injected.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface TokenCacheOptions<V> {
  positiveTtlMs: number;
  negativeTtlMs: number;
  /** Entries kept at most; 0 disables caching (concurrent lookups are still shared). */
  maxEntries: number;
  /** Milliseconds; Date.now by default. */
  now?: () => number;
  /** Whether a result counts as authenticated (positive TTL) or refused (negative TTL). */
  isPositive: (value: V) => boolean;
}

export interface TokenCache<V> {
  /** The cached result, or `lookup()`'s (shared with concurrent callers); `hit` tells which. */
  getOrLookup(token: string, audiences: readonly string[], lookup: () => Promise<V>): Promise<{ value: V; hit: boolean }>;
  /** The stored keys (hex digests), for tests and debugging. */
  keys(): string[];
  readonly size: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export function createTokenCache<V>(opts: TokenCacheOptions<V>): TokenCache<V> {
  const now = opts.now ?? Date.now;
  const secret = randomBytes(32);
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Promise<V>>();

  const keyOf = (token: string, audiences: readonly string[]): string => {
    const mac = createHmac('sha256', secret);
    // Length-prefixed fields: no audience list and token can collide with another.
    for (const part of [...audiences, token]) mac.update(`${Buffer.byteLength(part)}:${part}|`);
    return mac.digest('hex');
  };

  const store = (key: string, value: V): void => {
    const ttl = opts.isPositive(value) ? opts.positiveTtlMs : opts.negativeTtlMs;
    if (ttl <= 0 || opts.maxEntries <= 0) return;
    entries.delete(key);
    entries.set(key, { value, expiresAt: now() + ttl });
    while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
  };

  return {
    async getOrLookup(token, audiences, lookup) {
      const key = keyOf(token, audiences);
      const entry = entries.get(key);
      if (entry && entry.expiresAt > now()) {
        entries.delete(key); // refresh recency
        entries.set(key, entry);
        return { value: entry.value, hit: true };
      }
      if (entry) entries.delete(key);
      const pending = inflight.get(key);
      if (pending) return { value: await pending, hit: true };
      const started = lookup();
      inflight.set(key, started);
      try {
        const value = await started;
        store(key, value);
        return { value, hit: false };
      } finally {
        inflight.delete(key);
      }
    },
    keys: () => [...entries.keys()],
    get size() {
      return entries.size;
    },
  };
}
