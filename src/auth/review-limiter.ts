/**
 * Bounds on the TokenReviews the gateway makes, so a flood of bogus tokens cannot turn into a flood of
 * reviews on the apiserver (each one a signature check, an object lookup and a request slot there):
 * - per client address: at most `perClientConcurrent` in flight and `perClientPerSecond` started per
 *   second (a token bucket of that size, refilled continuously). Over it, the review is refused at once.
 *   The buckets are computed from the injected clock when used (no timer per client) and at most
 *   MAX_CLIENTS are kept, the least recently used dropped first;
 * - in total: at most `concurrent` in flight and `perSecond` started per second (bottleneck: a reservoir
 *   refilled every second), with a queue no longer than `concurrent`; a review that would wait beyond it
 *   is dropped.
 * A refused review throws ReviewThrottledError with a Retry-After: the caller answers 429 instead of
 * queueing without limit. Only reviews are counted: cached answers never reach the limiter.
 */
import Bottleneck from 'bottleneck';

export interface ReviewLimits {
  readonly concurrent: number;
  readonly perSecond: number;
  readonly perClientConcurrent: number;
  readonly perClientPerSecond: number;
}

export class ReviewThrottledError extends Error {
  constructor(
    readonly scope: 'client' | 'total',
    readonly retryAfterSeconds: number,
  ) {
    super(scope === 'client' ? 'too many TokenReviews for this client address' : 'too many TokenReviews in total');
    this.name = 'ReviewThrottledError';
  }
}

export interface ReviewLimiter {
  /** Runs `job` within the bounds for `client`, or throws ReviewThrottledError without running it. */
  run<T>(client: string, job: () => Promise<T>): Promise<T>;
  /** Client addresses tracked now (bounded). */
  readonly clients: number;
  /** New bounds, in place (a reload): reviews in flight and buckets are kept. */
  reconfigure(limits: ReviewLimits): void;
  stop(): void;
}

/** Client addresses tracked at most (the least recently seen are forgotten first). */
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
  inFlight: number;
}

export function createReviewLimiter(initial: ReviewLimits, opts: { now?: () => number; maxClients?: number } = {}): ReviewLimiter {
  const now = opts.now ?? Date.now;
  const maxClients = opts.maxClients ?? MAX_CLIENTS;
  let limits = initial;
  const buckets = new Map<string, Bucket>();
  const total = new Bottleneck({
    maxConcurrent: limits.concurrent,
    reservoir: limits.perSecond,
    reservoirRefreshAmount: limits.perSecond,
    reservoirRefreshInterval: 1_000,
    highWater: limits.concurrent,
    strategy: Bottleneck.strategy.OVERFLOW,
  });

  /** Takes a slot for `client` (its bucket), or says how many seconds until one frees up. */
  const take = (client: string): Bucket | number => {
    const t = now();
    let bucket = buckets.get(client);
    if (bucket) buckets.delete(client); // recency
    else bucket = { tokens: limits.perClientPerSecond, at: t, inFlight: 0 };
    buckets.set(client, bucket);
    while (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
    bucket.tokens = Math.min(limits.perClientPerSecond, bucket.tokens + ((t - bucket.at) / 1000) * limits.perClientPerSecond);
    bucket.at = t;
    if (bucket.inFlight >= limits.perClientConcurrent) return 1;
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / limits.perClientPerSecond));
    bucket.tokens -= 1;
    bucket.inFlight += 1;
    return bucket;
  };

  return {
    async run(client, job) {
      const slot = take(client);
      if (typeof slot === 'number') throw new ReviewThrottledError('client', slot);
      try {
        return await total.schedule(job);
      } catch (err) {
        if (err instanceof Bottleneck.BottleneckError) throw new ReviewThrottledError('total', 1);
        throw err;
      } finally {
        slot.inFlight -= 1;
      }
    },
    get clients() {
      return buckets.size;
    },
    reconfigure(next) {
      limits = next;
      total.updateSettings({ maxConcurrent: next.concurrent, reservoirRefreshAmount: next.perSecond, highWater: next.concurrent });
    },
    stop() {
      void total.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}
