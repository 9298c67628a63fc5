/**
 * A sample of a collection's object sizes, read before its first LIST is priced: a consistent LIST with
 * `limit=N` (census-probe.ts builds it: never resourceVersion=0, which the watch cache answers whole) as
 * the gateway itself. Its items' JSON bytes seed the size model (source `sample`) and raise the resource's
 * ceiling; items + remainingItemCount is a count for the census. kube-apiserver 1.32 publishes counts but
 * no size metric, so without a sample a gateway that starts cold prices 900 KB Secrets at the 16 KiB
 * default (CALIBRATION.md). The first N items of a collection are its first namespace's, in name order,
 * so a sample is evidence, not the average: estimates built on it carry `medium` confidence.
 * One sample per target at a time (concurrent callers share it), at most one per `intervalMs`, through
 * the census probes' limiter.
 */
import { countFromProbe, probePath, type ProbeTarget } from './census-probe.js';
import type { SizeModel } from './size-model.js';

export interface SampleResult {
  items: number;
  /** JSON bytes of the items (as kube-apiserver writes them: no whitespace). */
  bytes: number;
  count: number | undefined;
}

export interface SizeSampler {
  /** Samples the target unless it was sampled within the interval; resolves when done (never rejects). */
  sample(target: ProbeTarget): Promise<SampleResult | undefined>;
  /** Whether a sample of the resource has been taken (any scope). */
  sampled(group: string, resource: string): boolean;
}

export function createSizeSampler(deps: {
  fetchJson: (path: string) => Promise<unknown>;
  limiter: { schedule<R>(fn: () => PromiseLike<R>): Promise<R> };
  sizes: Pick<SizeModel, 'seed' | 'observeSlice'>;
  observeCount?: (target: ProbeTarget, count: number) => void;
  now: () => number;
  /** Items per sample. */
  items?: number;
  intervalMs?: number;
  onError?: (err: unknown, path: string) => void;
}): SizeSampler {
  const limit = deps.items ?? 10;
  const intervalMs = deps.intervalMs ?? 10 * 60_000;
  const inflight = new Map<string, Promise<SampleResult | undefined>>();
  const last = new Map<string, number>();
  const resources = new Set<string>();
  const keyOf = (t: ProbeTarget) => `${t.group}\u0000${t.resource}\u0000${t.namespace ?? ''}`;

  const take = async (target: ProbeTarget, path: string): Promise<SampleResult | undefined> => {
    const body = (await deps.limiter.schedule(() => deps.fetchJson(path))) as { items?: unknown };
    if (!Array.isArray(body?.items)) throw new Error(`sample ${path}: the answer is not a list`);
    const items = body.items.length;
    const bytes = body.items.reduce((sum: number, item: unknown) => sum + Buffer.byteLength(JSON.stringify(item)), 0);
    const count = countFromProbe(body);
    resources.add(`${target.group}\u0000${target.resource}`);
    if (count !== undefined) deps.observeCount?.(target, count);
    if (items > 0 && bytes > 0) {
      deps.sizes.seed([{ group: target.group, resource: target.resource, bytes: bytes / items, source: 'sample' }]);
      deps.sizes.observeSlice({ group: target.group, resource: target.resource, ...(target.namespace ? { namespace: target.namespace } : {}), bytes, items, encoding: 'json' });
    }
    return { items, bytes, count };
  };

  return {
    sample(target) {
      const k = keyOf(target);
      const running = inflight.get(k);
      if (running) return running;
      const at = last.get(k);
      const path = probePath(target, limit);
      if (path === undefined || (at !== undefined && deps.now() - at < intervalMs)) return Promise.resolve(undefined);
      last.set(k, deps.now());
      const run = take(target, path)
        .catch((err: unknown) => {
          deps.onError?.(err, path);
          return undefined;
        })
        .finally(() => inflight.delete(k));
      inflight.set(k, run);
      return run;
    },
    sampled: (group, resource) => resources.has(`${group}\u0000${resource}`),
  };
}
