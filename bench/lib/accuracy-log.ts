/**
 * The estimator accuracy benchmark reads its numbers where an operator would: the gateway's JSON log. At
 * debug level a request's `request received` line has its target and Accept header; its `request
 * completed` line (same requestId) has the estimate (`estimatedResponseBytes`) and, for a LIST measured
 * whole on its way through, the decoded response bytes (`observedResponseBytes`). Joined here, and
 * reduced to error ratios and percentiles.
 */
import { readFile } from 'node:fs/promises';

export interface ListSample {
  /** Milliseconds since the epoch when the request completed (pino `time`). */
  time: number;
  url: string;
  /** `json`, `table` or `metadata`, from the Accept header. */
  representation: string;
  estimated: number;
  observed: number;
  /** estimate ÷ observed. */
  ratio: number;
}

type Line = Record<string, unknown> & { msg?: string; requestId?: string; time?: number };

function representationOf(accept: unknown): string {
  const text = String(accept ?? '');
  if (/as=Table/i.test(text)) return 'table';
  if (/as=PartialObjectMetadata/i.test(text)) return 'metadata';
  return /protobuf/.test(text) ? 'protobuf' : 'json';
}

export async function readListSamples(logFile: string): Promise<ListSample[]> {
  const received = new Map<string, Line>();
  const samples: ListSample[] = [];
  for (const raw of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!raw.startsWith('{')) continue;
    const line = JSON.parse(raw) as Line;
    if (!line.requestId) continue;
    if (line.msg === 'request received') received.set(line.requestId, line);
    if (line.msg !== 'request completed' || line.verb !== 'list') continue;
    const estimated = Number(line.estimatedResponseBytes);
    const observed = Number(line.observedResponseBytes);
    if (!(estimated > 0) || !(observed > 0)) continue;
    const start = received.get(line.requestId);
    const target = (line.target ?? {}) as Record<string, unknown>;
    const headers = (start?.headers ?? {}) as Record<string, unknown>;
    samples.push({
      time: Number(line.time),
      url: String(start?.url ?? `${String(target.resource)} ${String(target.namespace ?? '')}`),
      representation: representationOf(headers.accept),
      estimated,
      observed,
      ratio: estimated / observed,
    });
  }
  return samples;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A query's shape for reports: the path with continue tokens and resource versions elided. */
export function queryShape(url: string): string {
  return url.replace(/continue=[^&]*/, 'continue=…').replace(/resourceVersion=[1-9]\d*/, 'resourceVersion=…');
}

export interface ErrorSummary {
  samples: number;
  p50: number;
  p90: number;
  max: number;
  /** The lowest estimate ÷ observed (below 1: an underestimate). */
  lowestRatio: number;
  /** The queries with the largest |ratio − 1|, worst first. */
  worst: Array<{ query: string; representation: string; ratio: number }>;
}

export function summarize(samples: readonly ListSample[], top = 5): ErrorSummary {
  const errors = samples.map((s) => Math.abs(s.ratio - 1));
  const worst = [...samples].sort((a, b) => Math.abs(b.ratio - 1) - Math.abs(a.ratio - 1));
  const seen = new Set<string>();
  const unique = worst.filter((s) => {
    const key = `${queryShape(s.url)} ${s.representation}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    samples: samples.length,
    p50: percentile(errors, 50),
    p90: percentile(errors, 90),
    max: errors.length ? Math.max(...errors) : Number.NaN,
    lowestRatio: samples.length ? Math.min(...samples.map((s) => s.ratio)) : Number.NaN,
    worst: unique.slice(0, top).map((s) => ({ query: queryShape(s.url), representation: s.representation, ratio: Math.round(s.ratio * 1000) / 1000 })),
  };
}
