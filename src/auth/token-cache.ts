/**
 * The TokenReview cache, after k8s.io/apiserver/pkg/authentication/token/cache: results are kept for a
 * positive TTL (the token authenticated) or a negative TTL (it did not); errors are never cached, so an
 * apiserver that comes back is asked again at once. Keys are an HMAC-SHA256 of the audiences and the
 * token under a random per-process key (upstream's hashed keys): the token itself is never stored, and
 * a key is useless outside this process. The size is bounded; the least recently used entry goes first.
 * Concurrent lookups of the same key share one review (upstream's getOrWait). Time is injected.
 * Two additions keep a revoked token's window short without a review per request:
 * - a positive result never outlives `expiresAt(value, token)` (a JWT's own `exp`);
 * - a positive entry read after `refreshAfter` of its TTL is looked up again in the background (once at
 *   a time per key) while the cached result still answers: a busy client keeps a fresh entry and never
 *   waits for a review; a refusal replaces the entry at once, an error leaves it to expire.
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
  /** When a positive result stops being true whatever its TTL (milliseconds since the epoch), if known. */
  expiresAt?: (value: V, token: string) => number | undefined;
  /** Fraction of the positive TTL after which a read revalidates in the background; 0.5 by default, 1 never. */
  refreshAfter?: number;
  /** A background revalidation ended: the new result, or `error` (the entry stays until it expires). */
  onRefresh?: (outcome: 'positive' | 'negative' | 'error') => void;
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
  /** Positive entries: when a read starts a background revalidation. */
  refreshAt: number;
}

export function createTokenCache<V>(opts: TokenCacheOptions<V>): TokenCache<V> {
  const now = opts.now ?? Date.now;
  const refreshAfter = opts.refreshAfter ?? 0.5;
  const secret = randomBytes(32);
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Promise<V>>();

  const keyOf = (token: string, audiences: readonly string[]): string => {
    const mac = createHmac('sha256', secret);
    // Length-prefixed fields: no audience list and token can collide with another.
    for (const part of [...audiences, token]) mac.update(`${Buffer.byteLength(part)}:${part}|`);
    return mac.digest('hex');
  };

  const store = (key: string, token: string, value: V): void => {
    entries.delete(key);
    const positive = opts.isPositive(value);
    const ttl = positive ? opts.positiveTtlMs : opts.negativeTtlMs;
    if (ttl <= 0 || opts.maxEntries <= 0) return;
    const at = now();
    const expiresAt = Math.min(at + ttl, (positive ? opts.expiresAt?.(value, token) : undefined) ?? Infinity);
    if (expiresAt <= at) return;
    entries.set(key, { value, expiresAt, refreshAt: positive ? at + ttl * refreshAfter : Infinity });
    while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
  };

  /** One lookup per key at a time; stores what it finds. */
  const lookupOnce = (key: string, token: string, lookup: () => Promise<V>): Promise<V> => {
    const pending = inflight.get(key);
    if (pending) return pending;
    const started = lookup().then(
      (value) => {
        inflight.delete(key);
        store(key, token, value);
        return value;
      },
      (err: unknown) => {
        inflight.delete(key);
        throw err;
      },
    );
    inflight.set(key, started);
    return started;
  };

  return {
    async getOrLookup(token, audiences, lookup) {
      const key = keyOf(token, audiences);
      const entry = entries.get(key);
      const at = now();
      if (entry && entry.expiresAt > at) {
        entries.delete(key); // refresh recency
        entries.set(key, entry);
        if (at >= entry.refreshAt && !inflight.has(key)) {
          lookupOnce(key, token, lookup).then(
            (value) => opts.onRefresh?.(opts.isPositive(value) ? 'positive' : 'negative'),
            () => opts.onRefresh?.('error'),
          );
        }
        return { value: entry.value, hit: true };
      }
      if (entry) entries.delete(key);
      const pending = inflight.get(key);
      if (pending) return { value: await pending, hit: true };
      return { value: await lookupOnce(key, token, lookup), hit: false };
    },
    keys: () => [...entries.keys()],
    get size() {
      return entries.size;
    },
  };
}
