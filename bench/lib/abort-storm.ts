/**
 * Many LISTs spread over several gateway replicas, a share of them aborted by the client at a random
 * moment (while queued, while the response streams), from a seeded generator so a run can be repeated.
 * Counts how each ended; never holds a body.
 */
import { request, type Agent } from 'node:https';
import type { Target } from './https-client.js';

export interface AbortStormResult {
  requests: number;
  aborted: number;
  statuses: Record<string, number>;
  seconds: number;
}

export async function runAbortStorm(opts: { targets: readonly Target[]; agents: readonly Agent[]; paths: readonly string[]; total: number; concurrency: number; abortShare: number; seed: number }): Promise<AbortStormResult> {
  let state = opts.seed >>> 0;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const statuses: Record<string, number> = {};
  let sent = 0;
  let aborted = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const i = Math.floor(random() * opts.targets.length);
      const t = opts.targets[i]!;
      const abortAfter = random() < opts.abortShare ? random() * 50 : undefined;
      const req = request({ host: t.host, port: t.port, path: opts.paths[Math.floor(random() * opts.paths.length)], agent: opts.agents[i], headers: { Accept: 'application/json' } }, (res) => {
        statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
        res.resume();
        res.on('close', () => resolve());
        res.on('error', () => undefined);
      });
      req.on('error', () => resolve());
      if (abortAfter !== undefined) {
        setTimeout(() => {
          aborted += 1;
          req.destroy();
        }, abortAfter);
      }
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (sent < opts.total) {
        sent += 1;
        await one();
      }
    }),
  );
  return { requests: opts.total, aborted, statuses, seconds: (performance.now() - started) / 1000 };
}
