/**
 * The cheap census probe: a consistent LIST with `limit=1`, whose `metadata.remainingItemCount` + 1 is the
 * number of objects (etcd3/store.go GetList counts the rest of the range without reading it). Never with
 * resourceVersion=0 (the watch cache ignores limit there and would return the whole collection) and never
 * without a limit; both properties are fixed here, in the one place that builds a probe's URL.
 */
import Bottleneck from 'bottleneck';

export interface ProbeTarget {
  group: string;
  version: string;
  resource: string;
  /** Empty or undefined for the cluster-wide count. */
  namespace?: string;
}

const SEGMENT = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The probe's request target (`limit` items, 1 for a count), or undefined when a name would not make a
 * plain path segment.
 */
export function probePath(t: ProbeTarget, limit = 1): string | undefined {
  const segments = [t.group, t.version, t.resource, t.namespace].filter((s): s is string => s !== undefined && s !== '');
  if (!segments.every((s) => SEGMENT.test(s))) return undefined;
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const scope = t.namespace ? `/namespaces/${t.namespace}` : '';
  return `${base}${scope}/${t.resource}?limit=${Math.max(1, Math.floor(limit))}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The count a `limit=1` list answer gives: items + remainingItemCount, or the items alone when the list
 * is complete (no continue token). Undefined when the answer is not a list or the count is withheld.
 */
export function countFromProbe(body: unknown): number | undefined {
  if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
  const meta = isRecord(body.metadata) ? body.metadata : {};
  const remaining = meta.remainingItemCount;
  if (typeof remaining === 'number' && Number.isInteger(remaining) && remaining >= 0) return body.items.length + remaining;
  const more = typeof meta.continue === 'string' && meta.continue !== '';
  return more ? undefined : body.items.length;
}

/**
 * The probes' limiter: at most `maxConcurrent` at once, `minTimeMs` apart, and at most `queueLimit`
 * waiting; a probe beyond that is dropped (the census then prices the count conservatively).
 */
export function createProbeLimiter(opts: ProbeLimits = {}): Bottleneck {
  return new Bottleneck({ ...probeLimiterSettings(opts), strategy: Bottleneck.strategy.OVERFLOW });
}

export interface ProbeLimits {
  maxConcurrent?: number;
  minTimeMs?: number;
  queueLimit?: number;
}

/** The limiter's settings for `opts`, defaults filled (also what a reload applies with updateSettings). */
export function probeLimiterSettings(opts: ProbeLimits = {}): { maxConcurrent: number; minTime: number; highWater: number } {
  return { maxConcurrent: opts.maxConcurrent ?? 2, minTime: opts.minTimeMs ?? 100, highWater: opts.queueLimit ?? 100 };
}
