/**
 * A closed-loop load generator: `concurrency` workers, each sending the next request as soon as the
 * previous answer has been read in full, over keep-alive connections, for a fixed time. Requests that
 * start during the warm-up are not recorded. The same generator is pointed at every target of a
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
}

export interface LoadResult {
  target: string;
  requests: number;
  /** Transport errors and non-200 answers (recorded requests only). */
  errors: number;
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
  let bodyBytes = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      const path = opts.paths[next++ % opts.paths.length]!;
      let ok = false;
      let bytes = 0;
      try {
        const res = opts.send ? await opts.send(path) : await fetchOnce({ target: opts.target, path, agent: opts.agent!, keepBytes: 0 });
        ok = res.status === 200;
        bytes = res.bytes;
      } catch {
        ok = false;
      }
      const done = performance.now();
      if (sent < measureFrom || done > end) continue;
      recorder.record(done - sent);
      bodyBytes += bytes;
      if (!ok) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = opts.durationMs / 1000;
  return {
    target: opts.target.name,
    requests: recorder.count,
    errors,
    seconds,
    requestsPerSecond: recorder.count / seconds,
    latency: recorder.summary(),
    bodyBytes,
  };
}
