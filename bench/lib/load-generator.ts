/**
 * A load generator: `concurrency` workers over keep-alive connections, for a fixed time. Closed loop by
 * default: each worker sends its next request as soon as the previous answer has been read in full. With
 * `ratePerSecond`, requests are sent at that pace (request k at start + k ÷ rate, by whichever worker is
 * free): below the target's capacity its latency is the service time, not the queue a saturating loop
 * builds on shared cores. Requests that start during the warm-up are not recorded. The same generator is pointed at every target of a
 * comparison, so its own cost (it shares the machine's cores with the servers) weighs on all alike.
 */
import type { Agent } from 'node:https';
import { fetchOnce, type Target } from './https-client.js';
import { createLatencyRecorder, type LatencySummary } from './latency.js';

export interface LoadOptions {
  target: Target;
  /** HTTP/1.1 keep-alive agent; or `send`, any other way to make one request (HTTP/2: h2-client.ts). */
  agent?: Agent;
  send?: (path: string) => Promise<{ status: number; bytes: number }>;
  /** Requested in turn. */
  paths: readonly string[];
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** Requests per second for all workers together (paced); unset: closed loop. */
  ratePerSecond?: number;
}

export interface LoadResult {
  target: string;
  requests: number;
  /** Transport errors and non-200 answers (recorded requests only). */
  errors: number;
  /** The errors by kind: the status of a non-200 answer (`"404"`), or the transport error's code (`"ECONNRESET"`). */
  errorKinds: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  bodyBytes: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const recorder = createLatencyRecorder();
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  let next = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let bodyBytes = 0;
  let ticket = 0;
  const rate = opts.ratePerSecond;

  const worker = async (): Promise<void> => {
    for (;;) {
      if (rate !== undefined) {
        const due = start + (ticket++ * 1000) / rate;
        if (due >= end) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const sent = performance.now();
      if (sent >= end) return;
      const path = opts.paths[next++ % opts.paths.length]!;
      let failure: string | undefined;
      let bytes = 0;
      try {
        const res = opts.send ? await opts.send(path) : await fetchOnce({ target: opts.target, path, agent: opts.agent!, keepBytes: 0 });
        if (res.status !== 200) failure = String(res.status);
        bytes = res.bytes;
      } catch (err) {
        failure = errorKindOf(err);
      }
      const done = performance.now();
      if (sent < measureFrom || done > end) continue;
      recorder.record(done - sent);
      bodyBytes += bytes;
      if (failure !== undefined) {
        errors += 1;
        errorKinds[failure] = (errorKinds[failure] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = opts.durationMs / 1000;
  return {
    target: opts.target.name,
    requests: recorder.count,
    errors,
    errorKinds,
    seconds,
    requestsPerSecond: recorder.count / seconds,
    latency: recorder.summary(),
    bodyBytes,
  };
}

/** A transport error's kind: its code (`ECONNRESET`, `ERR_HTTP2_STREAM_ERROR`, a TLS code), else its name. */
export function errorKindOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    if (err instanceof Error) return err.name;
  }
  return 'error';
}

/**
 * One line naming a target's failed requests, or undefined when none failed: a benchmark lists these as
 * its report's `failures` (an answer that is an error is not a measurement of the target).
 */
export function describeErrors(label: string, load: Pick<LoadResult, 'requests' | 'errors' | 'errorKinds'>): string | undefined {
  if (load.errors === 0) return undefined;
  const kinds = Object.entries(load.errorKinds)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${/^\d+$/.test(kind) ? `HTTP ${kind}` : kind} × ${n}`)
    .join(', ');
  return `${label}: ${load.errors} of ${load.requests} requests failed (${kinds})`;
}
